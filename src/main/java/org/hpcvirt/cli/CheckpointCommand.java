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

        @Option(names = "--node", paramLabel = "URL", description = "Restore on the node of the daemon at URL (https://HOST:PORT); "
                + "the checkpoint must be in the store that node shares.")
        String node;

        @Option(names = "--tls", paramLabel = "DIR", description = "For --node: a node's directory from 'hpcvirt cluster init' "
                + "(its certificate authenticates), or the cluster directory (trust only, with --token-file). Default: $HPCVIRT_TLS.")
        java.nio.file.Path tls;

        @Option(names = "--token-file", paramLabel = "FILE", description = "For --node: a file with a scoped token (operate or admin), "
                + "sent inside TLS (default: $HPCVIRT_TOKEN_FILE).")
        java.nio.file.Path tokenFile;

        @Option(names = "--insecure-plain-tcp", description = "Lab only: allow an http:// URL for --node; the token travels in clear.")
        boolean insecure;

        @Override
        public Integer call() {
            try (DaemonClient c = node == null ? VmCommand.client() : DaemonClient.remote(node, remoteAuth(tls, tokenFile, insecure))) {
                VmStatus s = c.restore(id, newName, true, Duration.ofSeconds(timeout));
                spec.commandLine().getOut().printf("%s %s (%s pid %d), heartbeat seq %d, guest uptime %.1f s%n", s.name(), s.state(),
                        processName(s), s.pid(), s.lastHeartbeatSeq(), s.guestUptimeMs() / 1000.0);
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

        @Option(names = "--node", paramLabel = "URL", description = "Wake it on the node of the daemon at URL (https://HOST:PORT), "
                + "which restores it from the shared store; this node then forgets it. Needs this daemon's --listen/--tls.")
        String node;

        @Override
        public Integer call() {
            try (DaemonClient c = VmCommand.client()) {
                VmStatus s = node == null ? c.wake(name, Duration.ofSeconds(timeout)) : c.wakeOn(name, node, Duration.ofSeconds(timeout));
                out().printf("%s %s (%s pid %d), heartbeat seq %d%n", s.name(), s.state(), processName(s), s.pid(), s.lastHeartbeatSeq());
            }
            return 0;
        }
    }

    /**
     * How the CLI authenticates to another node's daemon: the TLS material of {@code tlsDir} (else
     * {@code $HPCVIRT_TLS}) and the token of {@code tokenFile} (else {@code $HPCVIRT_TOKEN_FILE});
     * without TLS material only under the lab switch.
     */
    static org.hpcvirt.daemon.RemoteAuth remoteAuth(java.nio.file.Path tlsDir, java.nio.file.Path tokenFile, boolean insecure) {
        org.hpcvirt.api.NodeConfig c = org.hpcvirt.api.NodeConfig.current();
        java.nio.file.Path d = tlsDir != null ? tlsDir : c.tls();
        java.nio.file.Path f = tokenFile != null ? tokenFile : c.tokenFile();
        String token = f == null ? null : org.hpcvirt.daemon.TcpListener.readToken(f);
        if (d != null) {
            return new org.hpcvirt.daemon.RemoteAuth(org.hpcvirt.cluster.TlsMaterial.load(d), token, insecure || c.insecureTcp());
        }
        if (insecure || c.insecureTcp()) {
            return org.hpcvirt.daemon.RemoteAuth.plainLab(token);
        }
        throw org.hpcvirt.api.HpcvirtException.invalid("--node needs --tls DIR (or $" + org.hpcvirt.daemon.TcpListener.ENV_TLS
                + "): a node's directory from 'hpcvirt cluster init', or the cluster directory with --token-file");
    }

    /** What runs the restored guest, as {@code vm start} names it: the backend's name, kvm's being a QEMU. */
    private static String processName(VmStatus s) {
        return s.backend() == null || s.backend().equals("kvm") ? "qemu" : s.backend();
    }
}
