package org.hpcvirt.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import org.hpcvirt.checkpoint.CheckpointManifest;
import org.hpcvirt.daemon.DaemonClient;
import org.hpcvirt.vm.VmStatus;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code hpcvirt checkpoint list|show|delete|prune} and the {@code vm checkpoint|restore|suspend|wake} verbs. */
@Command(name = "checkpoint", description = "List, show, delete and prune checkpoints in the node's checkpoint store.",
        subcommands = {CheckpointCommand.ListCkpts.class, CheckpointCommand.Show.class, CheckpointCommand.Delete.class,
                CheckpointCommand.Prune.class})
public final class CheckpointCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static String mib(long bytes) {
        return String.format("%.1f MiB", bytes / 1048576.0);
    }

    static void printSummary(PrintWriter out, CheckpointManifest m) {
        out.printf("checkpoint %s%n", m.id());
        out.printf("  vm %s, tag %s, %s, guest paused %d ms, capture %d ms%n", m.vm(), m.tag() == null ? "-" : m.tag(),
                m.live() ? "live" : "paused copy", m.pauseMs(), m.totalMs());
        out.printf("  state %s, %d disk layer(s), heartbeat seq %d, counter %d%n", mib(m.stateBytes()),
                m.layers().size(), m.heartbeatSeq(), m.counter());
    }

    @Command(name = "list", description = "List complete checkpoints, oldest first.")
    static final class ListCkpts implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", arity = "0..1", paramLabel = "VM", description = "Only this VM's checkpoints.")
        String vm;

        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try (DaemonClient c = VmCommand.client()) {
                List<CheckpointManifest> all = c.checkpoints(vm);
                if (json) {
                    Output.json(out, all);
                    return 0;
                }
                out.printf("%-40s %-10s %-10s %-5s %8s %9s %6s%n", "ID", "VM", "TAG", "LIVE", "PAUSE", "STATE", "LAYERS");
                for (CheckpointManifest m : all) {
                    out.printf("%-40s %-10s %-10s %-5s %6dms %9s %6d%n", m.id(), m.vm(), m.tag() == null ? "-" : m.tag(),
                            m.live() ? "yes" : "no", m.pauseMs(), mib(m.stateBytes()), m.layers().size());
                }
            }
            return 0;
        }
    }

    @Command(name = "show", description = "Print a checkpoint's manifest; --verify checks every file's SHA-256 first.")
    static final class Show implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "ID")
        String id;

        @Option(names = "--verify", description = "Verify sizes and SHA-256 of every file.")
        boolean verify;

        @Override
        public Integer call() {
            try (DaemonClient c = VmCommand.client()) {
                Output.json(spec.commandLine().getOut(), c.checkpointInfo(id, verify));
                if (verify) {
                    spec.commandLine().getOut().println("verified: every file matches its SHA-256");
                }
            }
            return 0;
        }
    }

    @Command(name = "delete", description = "Delete a checkpoint (disk layers still needed by others stay).")
    static final class Delete implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "ID")
        String id;

        @Override
        public Integer call() {
            try (DaemonClient c = VmCommand.client()) {
                for (String f : c.deleteCheckpoint(id)) {
                    spec.commandLine().getOut().println("deleted " + f);
                }
            }
            return 0;
        }
    }

    @Command(name = "prune", description = "Keep the newest --keep checkpoints of VM and delete the rest.")
    static final class Prune implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "VM")
        String vm;

        @Option(names = "--keep", required = true, description = "How many of the newest to keep.")
        int keep;

        @Override
        public Integer call() {
            try (DaemonClient c = VmCommand.client()) {
                List<String> gone = c.prune(vm, keep);
                gone.forEach(id -> spec.commandLine().getOut().println("deleted " + id));
                spec.commandLine().getOut().printf("%d deleted, newest %d kept%n", gone.size(), keep);
            }
            return 0;
        }
    }

    // ---------------------------------------------------------------- vm verbs

    /** {@code hpcvirt vm checkpoint NAME [--live] [--tag T]}. */
    @Command(name = "checkpoint", description = "Checkpoint a VM (RAM, devices and disk); prints the checkpoint id.")
    static final class Take extends VmCommand.OneVm {
        @Option(names = "--live", description = "Copy memory while the guest runs; pause only for the final pass.")
        boolean live;

        @Option(names = "--tag", description = "A label stored in the manifest.")
        String tag;

        @Override
        public Integer call() {
            try (DaemonClient c = VmCommand.client()) {
                CheckpointManifest m = c.checkpoint(name, live, tag);
                out().println(m.id());
                printSummary(out(), m);
            }
            return 0;
        }
    }

    /** {@code hpcvirt vm restore CKPT [--name NEW]}. */
    @Command(name = "restore", description = "Verify a checkpoint and start a VM from it.")
    static final class Restore implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "CKPT", description = "Checkpoint id.")
        String id;

        @Option(names = "--name", description = "Name of the restored VM (default: the checkpointed VM's).")
        String newName;

        @Option(names = "--timeout", descriptionKey = "Restore.timeoutSeconds", description = "Seconds to wait for a heartbeat (default ${DEFAULT-VALUE}).")
        int timeout;

        @Option(names = "--node", paramLabel = "URL", description = "Restore on the node of the daemon at URL (http://HOST:PORT); "
                + "the checkpoint must be in the store that node shares.")
        String node;

        @Option(names = "--token-file", paramLabel = "FILE", description = "Cluster token for --node (default: $HPCVIRT_TOKEN_FILE).")
        java.nio.file.Path tokenFile;

        @Override
        public Integer call() {
            try (DaemonClient c = node == null ? VmCommand.client() : DaemonClient.remote(node, token(tokenFile))) {
                VmStatus s = c.restore(id, newName, true, Duration.ofSeconds(timeout));
                spec.commandLine().getOut().printf("%s %s (qemu pid %d), heartbeat seq %d, guest uptime %.1f s%n", s.name(), s.state(),
                        s.pid(), s.lastHeartbeatSeq(), s.guestUptimeMs() / 1000.0);
            }
            return 0;
        }
    }

    /** {@code hpcvirt vm suspend NAME}. */
    @Command(name = "suspend", description = "Checkpoint a VM and stop its QEMU (pause-to-storage).")
    static final class Suspend extends VmCommand.OneVm {
        @Override
        public Integer call() {
            try (DaemonClient c = VmCommand.client()) {
                CheckpointManifest m = c.suspend(name);
                out().printf("%s SUSPENDED to checkpoint %s (%s state, guest paused %d ms)%n", name, m.id(),
                        mib(m.stateBytes()), m.pauseMs());
            }
            return 0;
        }
    }

    /** {@code hpcvirt vm wake NAME}. */
    @Command(name = "wake", description = "Restore a SUSPENDED VM.")
    static final class Wake extends VmCommand.OneVm {
        @Option(names = "--timeout", descriptionKey = "Wake.timeoutSeconds", description = "Seconds to wait for a heartbeat (default ${DEFAULT-VALUE}).")
        int timeout;

        @Option(names = "--node", paramLabel = "URL", description = "Wake it on the node of the daemon at URL (http://HOST:PORT), "
                + "which restores it from the shared store; this node then forgets it. Needs this daemon's --listen/--token-file.")
        String node;

        @Override
        public Integer call() {
            try (DaemonClient c = VmCommand.client()) {
                VmStatus s = node == null ? c.wake(name, Duration.ofSeconds(timeout)) : c.wakeOn(name, node, Duration.ofSeconds(timeout));
                out().printf("%s %s (qemu pid %d), heartbeat seq %d%n", s.name(), s.state(), s.pid(), s.lastHeartbeatSeq());
            }
            return 0;
        }
    }

    /** The cluster token from {@code file}, else from {@code $HPCVIRT_TOKEN_FILE}. */
    static String token(java.nio.file.Path file) {
        java.nio.file.Path f = file != null ? file : org.hpcvirt.api.NodeConfig.current().tokenFile();
        if (f == null) {
            throw org.hpcvirt.api.HpcvirtException.invalid("--node needs the cluster token: --token-file FILE or $"
                    + org.hpcvirt.daemon.TcpListener.ENV_TOKEN_FILE);
        }
        return org.hpcvirt.daemon.TcpListener.readToken(f);
    }
}
