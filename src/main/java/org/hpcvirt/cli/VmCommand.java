package org.hpcvirt.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.LockSupport;
import org.hpcvirt.api.DataSize;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.daemon.DaemonClient;
import org.hpcvirt.guest.ExecResult;
import org.hpcvirt.vm.NodeLayout;
import org.hpcvirt.vm.VmStatus;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code hpcvirt vm …}: VM lifecycle through the node daemon (started on demand). */
@Command(name = "vm", description = "Define, start, watch, pause, stop and destroy VMs.",
        subcommands = {VmCommand.Define.class, VmCommand.Start.class, VmCommand.Status.class, VmCommand.ListVms.class,
                VmCommand.Pause.class, VmCommand.Resume.class, VmCommand.Stop.class, VmCommand.Destroy.class,
                VmCommand.Console.class, VmCommand.Export.class, VmCommand.Exec.class, EventsCommand.class,
                CheckpointCommand.Take.class, CheckpointCommand.Restore.class, CheckpointCommand.Suspend.class,
                CheckpointCommand.Wake.class, MigrateCommand.class})
public final class VmCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static DaemonClient client() {
        return DaemonClient.connectOrStart(NodeLayout.fromEnvironment());
    }

    static void printStatus(PrintWriter out, VmStatus s) {
        out.printf("name:       %s%n", s.name());
        out.printf("owner:      %s%n", s.owner());
        out.printf("state:      %s%n", s.state());
        out.printf("backend:    %s%n", s.backend());
        out.printf("cpus:       %d%n", s.cpus());
        out.printf("memory:     %s%n", DataSize.format(s.memoryBytes()));
        // the process the backend runs the guest in: QEMU for qemu and kvm, the container's init for container
        out.printf("%-11s %s%n", (s.backend().equals("kvm") ? "qemu" : s.backend()) + " pid:", s.pid() > 0 ? s.pid() : "-");
        out.printf("heartbeat:  %s%n", s.lastHeartbeatSeq() < 0 ? "none yet"
                : "seq " + s.lastHeartbeatSeq() + ", " + s.lastHeartbeatAgeMs() + " ms ago, guest uptime "
                + s.guestUptimeMs() / 1000.0 + " s, load " + s.guestLoad());
        if (s.garbageLines() > 0) {
            out.printf("garbage:    %d malformed or dropped lines from the guest%n", s.garbageLines());
        }
    }

    /** Base of commands that name one VM. */
    abstract static class OneVm implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME", description = "VM name.")
        String name;

        PrintWriter out() {
            return spec.commandLine().getOut();
        }
    }

    @Command(name = "define", description = "Define a VM from a YAML profile.")
    static final class Define implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "PROFILE", description = "Profile file (YAML).")
        Path profile;

        @Option(names = "--owner", paramLabel = "USER", description = "The user the VM belongs to (default: you). Only "
                + "administrators may name another user, e.g. a Slurm prolog defining a job's VMs for the job's user.")
        String owner;

        @Override
        public Integer call() throws IOException {
            if (!Files.isRegularFile(profile)) {
                throw HpcvirtException.invalid("profile file " + profile + " does not exist");
            }
            String yaml = Files.readString(profile, StandardCharsets.UTF_8);
            try (DaemonClient c = client()) {
                VmStatus s = c.define(yaml, profile.getFileName().toString(), owner);
                spec.commandLine().getOut().printf("defined %s for %s (backend %s, %d vCPU, %s)%n", s.name(), s.owner(), s.backend(),
                        s.cpus(), DataSize.format(s.memoryBytes()));
            }
            return 0;
        }
    }

    @Command(name = "start", description = "Start a VM; with --wait return once its first heartbeat arrived.")
    static final class Start extends OneVm {
        @Option(names = "--wait", description = "Wait for the first heartbeat.")
        boolean waitFor;

        @Option(names = "--timeout", descriptionKey = "Start.timeoutSeconds", description = "Seconds to wait (default ${DEFAULT-VALUE}).")
        int timeout;

        @Override
        public Integer call() {
            try (DaemonClient c = client()) {
                VmStatus s = c.start(name, waitFor, Duration.ofSeconds(timeout));
                out().printf("%s %s (%s pid %d)%s%n", name, s.state(), s.backend().equals("kvm") ? "qemu" : s.backend(), s.pid(),
                        s.lastHeartbeatSeq() >= 0 ? ", heartbeat seq " + s.lastHeartbeatSeq() : "");
            }
            return 0;
        }
    }

    @Command(name = "status", description = "Show a VM's state, backend, QEMU pid and last heartbeat.")
    static final class Status extends OneVm {
        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Override
        public Integer call() {
            try (DaemonClient c = client()) {
                VmStatus s = c.status(name);
                if (json) {
                    Output.json(out(), s);
                } else {
                    printStatus(out(), s);
                }
            }
            return 0;
        }
    }

    @Command(name = "list", description = "List the node's VMs.")
    static final class ListVms implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try (DaemonClient c = client()) {
                List<VmStatus> all = c.list();
                if (json) {
                    Output.json(out, all);
                    return 0;
                }
                // BACKEND is as wide as the longest name shown (7 for qemu and kvm, as before)
                String b = "%-" + Math.max(7, all.stream().mapToInt(s -> s.backend().length()).max().orElse(0)) + "s";
                out.printf("%-16s %-10s %-10s " + b + " %4s %7s %8s %10s %8s%n", "NAME", "OWNER", "STATE", "BACKEND", "CPUS", "MEMORY", "PID",
                        "HB-SEQ", "HB-AGE");
                for (VmStatus s : all) {
                    out.printf("%-16s %-10s %-10s " + b + " %4d %7s %8s %10s %8s%n", s.name(), s.owner(), s.state(), s.backend(), s.cpus(),
                            DataSize.format(s.memoryBytes()), s.pid() > 0 ? s.pid() : "-",
                            s.lastHeartbeatSeq() >= 0 ? s.lastHeartbeatSeq() : "-",
                            s.lastHeartbeatAgeMs() >= 0 ? s.lastHeartbeatAgeMs() + "ms" : "-");
                }
            }
            return 0;
        }
    }

    @Command(name = "pause", description = "Pause a running VM (vCPUs stop; heartbeats stop).")
    static final class Pause extends OneVm {
        @Override
        public Integer call() {
            try (DaemonClient c = client()) {
                out().println(name + " " + c.pause(name).state());
            }
            return 0;
        }
    }

    @Command(name = "resume", description = "Resume a paused VM.")
    static final class Resume extends OneVm {
        @Override
        public Integer call() {
            try (DaemonClient c = client()) {
                out().println(name + " " + c.resume(name).state());
            }
            return 0;
        }
    }

    @Command(name = "stop", description = "Power a VM off (guest shutdown, then kill after --timeout).")
    static final class Stop extends OneVm {
        @Option(names = "--force", description = "Kill QEMU at once.")
        boolean force;

        @Option(names = "--timeout", descriptionKey = "Stop.timeoutSeconds", description = "Seconds to wait for a clean power-off (default ${DEFAULT-VALUE}).")
        int timeout;

        @Override
        public Integer call() {
            if (timeout < 1) {
                throw HpcvirtException.invalid("--timeout must be at least 1 second");
            }
            try (DaemonClient c = client()) {
                out().println(name + " " + c.stop(name, force, Duration.ofSeconds(timeout)).state());
            }
            return 0;
        }
    }

    @Command(name = "destroy", description = "Kill a VM if it runs and delete it with all its files.")
    static final class Destroy extends OneVm {
        @Override
        public Integer call() {
            try (DaemonClient c = client()) {
                c.destroy(name);
                out().println(name + " destroyed");
            }
            return 0;
        }
    }

    @Command(name = "console", description = "Print a VM's serial console; --follow keeps printing.")
    static final class Console extends OneVm {
        @Option(names = {"-f", "--follow"}, description = "Keep printing new output until interrupted.")
        boolean follow;

        @Override
        public Integer call() {
            PrintWriter out = out();
            try (DaemonClient c = client()) {
                long offset = 0;
                do {
                    org.hpcvirt.vm.ConsoleChunk chunk = c.console(name, offset);
                    if (chunk.data().length > 0) {
                        out.print(new String(chunk.data(), StandardCharsets.UTF_8));
                        out.flush();
                    } else if (follow) {
                        LockSupport.parkNanos(200_000_000L);
                    }
                    offset = chunk.nextOffset();
                    if (!follow && chunk.data().length == 0) {
                        break;
                    }
                } while (!Thread.currentThread().isInterrupted());
            }
            return 0;
        }
    }

    @Command(name = "export", description = {"Print a VM's definition in another tool's format, from its profile (any backend).",
            "--format libvirt: domain XML that 'virsh define' accepts and that boots the same guest."})
    static final class Export extends OneVm {
        @Option(names = "--format", paramLabel = "FORMAT", descriptionKey = "Export.format",
                description = "Format: libvirt (default: ${DEFAULT-VALUE}).")
        String format;

        @Override
        public Integer call() {
            try (DaemonClient c = client()) {
                out().print(c.export(name, format).document());
                out().flush();
            }
            return 0;
        }
    }

    @Command(name = "exec", description = {
            "Run a program in the guest: hpcvirt vm exec NAME -- PROGRAM [ARG...]",
            "The arguments reach the guest exactly as given: no shell runs them, so quotes, spaces, ';', '>' and '$' are"
                    + " plain characters of an argument. For a shell command line use --shell 'CMD' (runs /bin/sh -c CMD).",
            "Put '--' before PROGRAM when it or its arguments start with '-'. The exit code is the program's."})
    static final class Exec extends OneVm {
        @Parameters(index = "1", arity = "0..1", paramLabel = "PROGRAM", description = "Program to run, looked up in the guest's PATH.")
        String program;

        @Parameters(index = "2..*", paramLabel = "ARG", description = "Its arguments, passed unchanged.")
        List<String> args = new ArrayList<>();

        @Option(names = "--shell", paramLabel = "CMD", description = "Run CMD with /bin/sh -c in the guest instead"
                + " (pipes, ';', '>', $VAR and globs work); not together with PROGRAM.")
        String shell;

        @Option(names = "--timeout", descriptionKey = "Exec.timeoutSeconds", description = "Seconds before the command is killed (default ${DEFAULT-VALUE}).")
        int timeout;

        @Override
        public Integer call() {
            boolean hasArgv = program != null;
            if (hasArgv && shell != null) {
                throw HpcvirtException.invalid("exec: give either PROGRAM [ARG...] or --shell 'CMD', not both");
            }
            if (!hasArgv && shell == null) {
                throw HpcvirtException.invalid("exec: no command given (usage: hpcvirt vm exec NAME -- PROGRAM [ARG...]"
                        + " or hpcvirt vm exec NAME --shell 'CMD')");
            }
            if (shell != null && shell.isBlank()) {
                throw HpcvirtException.invalid("exec: --shell needs a command line");
            }
            if (hasArgv && program.isEmpty()) {
                throw HpcvirtException.invalid("exec: the program name is empty");
            }
            List<String> argv = new ArrayList<>();
            if (hasArgv) {
                argv.add(program);
                argv.addAll(args);
            }
            if (timeout < 1) {
                throw HpcvirtException.invalid("--timeout must be at least 1 second");
            }
            try (DaemonClient c = client()) {
                Duration t = Duration.ofSeconds(timeout);
                ExecResult r = hasArgv ? c.exec(name, argv, t) : c.exec(name, shell, t);
                out().print(r.output());
                out().flush();
                if (r.truncated()) {
                    spec.commandLine().getErr().println("(output truncated)");
                }
                if (hasArgv && r.exitCode() == 127 && argv.size() == 1 && argv.get(0).matches("(?s).*\\s.*")) {
                    // The old form 'exec NAME -- "CMD LINE"' handed one string to a shell; say how to get that now.
                    spec.commandLine().getErr().println("hint: '" + argv.get(0) + "' was run as one program name;"
                            + " for a shell command line use --shell '" + argv.get(0) + "'");
                }
                return r.exitCode();
            }
        }
    }

}
