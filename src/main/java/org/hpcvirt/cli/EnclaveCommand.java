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

/**
 * {@code hpcvirt enclave create|list|show|destroy}: each verb is one operation of the node daemon;
 * {@code campaign} drives a fault-injection campaign over a composed pair through them.
 */
@Command(name = "enclave", description = "Partition the node into enclaves: pinned, cgroup-confined VMs (see docs/enclaves.md).",
        subcommands = {EnclaveCommand.Create.class, EnclaveCommand.ListEnclaves.class, EnclaveCommand.Show.class,
                EnclaveCommand.Destroy.class, EnclaveCommand.CheckpointComposite.class, EnclaveCommand.Campaign.class})
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

    @Command(name = "checkpoint", description = "One consistent checkpoint of an enclave and every enclave linked to it: pause all,"
            + " checkpoint each (with the link segments), resume all; policy restore-all restores it.")
    static final class CheckpointComposite implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Override
        public Integer call() {
            try (DaemonClient c = VmCommand.client()) {
                org.hpcvirt.checkpoint.CheckpointManifest[] all = c.execute(new Operation.CheckpointEnclave(name),
                        org.hpcvirt.checkpoint.CheckpointManifest[].class);
                PrintWriter out = spec.commandLine().getOut();
                if (json) {
                    Output.json(out, List.of(all));
                    return 0;
                }
                for (var m : all) {
                    out.printf(java.util.Locale.ROOT, "checkpoint %s  vm %s, tag %s, capture paused it %d ms, state %.1f MiB%n", m.id(),
                            m.vm(), m.tag(), m.pauseMs(), m.stateBytes() / 1048576.0);
                }
            }
            return 0;
        }
    }

    @Command(name = "campaign", description = "Inject faults into a running producer/consumer pair of enclaves, once per link error"
            + " policy, and count what the consumer saw; writes results.json and report.md. Runs on the daemon's host (flips bits in"
            + " the link's /dev/shm segment).")
    static final class Campaign implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "FILE", description = "Pair campaign file (YAML), e.g. examples/campaigns/enclave-pair.yaml.")
        Path file;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory for the report (created).")
        Path outDir;

        @Override
        public Integer call() {
            org.hpcvirt.enclave.campaign.PairCampaignSpec s = org.hpcvirt.enclave.campaign.PairCampaignSpec.load(file);
            PrintWriter out = spec.commandLine().getOut();
            java.io.PrintStream progress = new java.io.PrintStream(new java.io.OutputStream() {
                @Override
                public void write(int b) {
                    out.write(b);
                }

                @Override
                public void flush() {
                    out.flush();
                }
            }, true, StandardCharsets.UTF_8);
            try (DaemonClient c = VmCommand.client()) {
                var result = new org.hpcvirt.enclave.campaign.PairCampaign(c, progress).run(s);
                org.hpcvirt.enclave.campaign.PairCampaignReport.write(result, outDir);
                progress.flush();
                out.print(org.hpcvirt.enclave.campaign.PairCampaignReport.markdown(result));
                out.println("written: " + outDir.resolve("results.json") + ", " + outDir.resolve("report.md"));
            }
            return 0;
        }
    }
}
