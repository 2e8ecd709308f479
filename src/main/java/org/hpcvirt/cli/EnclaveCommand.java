package org.hpcvirt.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.hpcvirt.api.DataSize;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Operation;
import org.hpcvirt.daemon.DaemonClient;
import org.hpcvirt.enclave.EnclaveView;
import org.hpcvirt.backend.qemu.VcpuPinning.VcpuThread;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code hpcvirt enclave create|list|show|destroy}: each verb is one operation of the node daemon. */
@Command(name = "enclave", description = "Partition the node into enclaves: pinned, cgroup-confined VMs (see docs/enclaves.md).",
        subcommands = {EnclaveCommand.Create.class, EnclaveCommand.ListEnclaves.class, EnclaveCommand.Show.class,
                EnclaveCommand.Destroy.class})
public final class EnclaveCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static String cores(List<Integer> cores) {
        return cores.stream().map(String::valueOf).collect(Collectors.joining(","));
    }

    static void print(PrintWriter out, EnclaveView v) {
        out.printf("enclave:    %s (owner %s, %s)%n", v.name(), v.owner(), v.state());
        out.printf("isolation:  %s%n", v.isolation());
        for (String c : v.choices()) {
            out.printf("  %s%n", c);
        }
        out.printf("cores:      %s (vCPU i on the i-th core)%n", cores(v.cores()));
        out.printf("memory:     %s%s%n", DataSize.format(v.memoryBytes()),
                v.hugePageBytes() > 0 ? " in " + DataSize.format(v.hugePageBytes()) + " huge pages" : "");
        out.printf("cgroup:     %s%n", v.cgroup());
        out.printf("  cpuset.cpus %s, cpuset.mems %s, exclusive %s%n", v.cgroupCpus(), v.cgroupMems(), v.cgroupExclusive() ? "yes" : "no");
        out.printf("qemu:       %s%n", v.qemuPid() == 0 ? "not running" : "pid " + v.qemuPid() + (v.qemuInCgroup() ? ", in the cgroup" : ", NOT in the cgroup"));
        for (VcpuThread t : v.vcpus()) {
            out.printf("  vCPU %d: thread %d, affinity %s%n", t.index(), t.threadId(), cores(t.affinity()));
        }
        for (var l : v.links()) {
            out.printf("link:       %s <-> %s, %s, %s%n", l.name(), l.peer(), DataSize.format(l.sizeBytes()), l.path());
        }
        if (!v.qemuArgs().isEmpty()) {
            out.printf("qemu args:  %s%n", String.join(" ", v.qemuArgs()));
        }
    }

    @Command(name = "create", description = "Create and start an enclave from an enclave file (YAML).")
    static final class Create implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "FILE", description = "Enclave file (YAML).")
        Path file;

        @Option(names = "--owner", paramLabel = "USER", description = "The user the enclave belongs to (default: you; others: administrators only).")
        String owner;

        @Option(names = "--timeout", paramLabel = "SECONDS", description = "Seconds to wait for the first heartbeat (default 120).")
        Integer timeout;

        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Override
        public Integer call() throws IOException {
            if (!Files.isRegularFile(file)) {
                throw HpcvirtException.invalid("enclave file " + file + " does not exist");
            }
            String yaml = Files.readString(file, StandardCharsets.UTF_8);
            try (DaemonClient c = VmCommand.client()) {
                EnclaveView v = c.execute(new Operation.CreateEnclave(yaml, file.toString(), owner, timeout), EnclaveView.class);
                if (json) {
                    Output.json(spec.commandLine().getOut(), v);
                } else {
                    print(spec.commandLine().getOut(), v);
                }
            }
            return 0;
        }
    }

    @Command(name = "list", description = "List the node's enclaves.")
    static final class ListEnclaves implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try (DaemonClient c = VmCommand.client()) {
                List<EnclaveView> all = List.of(c.execute(new Operation.ListEnclaves(), EnclaveView[].class));
                if (json) {
                    Output.json(out, all);
                    return 0;
                }
                out.printf("%-16s %-10s %-12s %-8s %-9s %-8s %s%n", "NAME", "STATE", "ISOLATION", "CORES", "MEMORY", "QEMU", "VCPU AFFINITY");
                for (EnclaveView v : all) {
                    out.printf("%-16s %-10s %-12s %-8s %-9s %-8s %s%n", v.name(), v.state(), v.isolation(), cores(v.cores()),
                            DataSize.format(v.memoryBytes()), v.qemuPid() == 0 ? "-" : Long.toString(v.qemuPid()),
                            v.vcpus().stream().map(t -> t.index() + ":" + cores(t.affinity())).collect(Collectors.joining(" ")));
                }
            }
            return 0;
        }
    }

    @Command(name = "show", description = "Show an enclave's isolation choices and its placement as the host holds it.")
    static final class Show implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Override
        public Integer call() {
            try (DaemonClient c = VmCommand.client()) {
                EnclaveView v = c.execute(new Operation.ShowEnclave(name), EnclaveView.class);
                if (json) {
                    Output.json(spec.commandLine().getOut(), v);
                } else {
                    print(spec.commandLine().getOut(), v);
                }
            }
            return 0;
        }
    }

    @Command(name = "destroy", description = "Kill an enclave's QEMU, delete its VM and remove its cgroup.")
    static final class Destroy implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        public Integer call() {
            try (DaemonClient c = VmCommand.client()) {
                c.execute(new Operation.DestroyEnclave(name), Void.class);
                spec.commandLine().getOut().printf("destroyed enclave %s%n", name);
            }
            return 0;
        }
    }
}
