package org.hpcvirt.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.hpcvirt.daemon.DaemonClient;
import org.hpcvirt.slurm.ClusterNodes;
import org.hpcvirt.slurm.SlurmJob;
import org.hpcvirt.vm.NodeLayout;
import org.hpcvirt.vm.VmStatus;
import org.hpcvirt.vse.MergedVse;
import org.hpcvirt.vse.VseLoader;
import org.hpcvirt.vse.VseMerge;
import org.hpcvirt.vse.VsePolicy;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code hpcvirt vse …}: virtual system environments of batch jobs. */
@Command(name = "vse", description = "Virtual system environments: the VMs a Slurm job runs in.",
        subcommands = {VseCommand.Explain.class, VseCommand.ListVms.class})
public final class VseCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The merge of a VSE file with the policy in force, as {@code submit} and the Prolog do it. */
    static MergedVse merge(Path file, Path policy, String partition) {
        VseLoader.Loaded<VsePolicy> p = VseLoader.policyInForce(policy);
        Set<String> catalogue = p.value().catalogue() == null ? null : VseLoader.catalogue(Path.of(p.value().catalogue()));
        return VseMerge.merge(VseLoader.file(file), p, partition, catalogue);
    }

    /** {@code hpcvirt vse explain FILE}: the merged VSE and who decided each field. */
    @Command(name = "explain", description = "Show the VSE a file becomes under the administrator's policy, and who decided each field.")
    static final class Explain implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Parameters(index = "0", paramLabel = "FILE", description = "the VSE file (YAML)")
        Path file;
        @Option(names = {"--partition", "-p"}, paramLabel = "P", description = "merge with the rules of this Slurm partition")
        String partition;
        @Option(names = "--policy", paramLabel = "FILE", description = "the policy (default: $HPCVIRT_VSE_POLICY, else "
                + "/etc/hpcvirt/vse-policy.yaml if it exists, else none)")
        Path policy;

        @Override
        public void run() {
            MergedVse m = merge(file, policy, partition);
            PrintWriter out = spec.commandLine().getOut();
            String fmt = "%-20s %-12s %s%n";
            out.printf(Locale.ROOT, fmt, "field", "value", "decided by");
            for (String[] row : VseMerge.explain(m)) {
                out.printf(Locale.ROOT, fmt, row[0], row[1], row[2]);
            }
            out.flush();
        }
    }

    /** {@code hpcvirt vse list}: which VMs belong to which job. */
    @Command(name = "list", description = "List the VMs of Slurm jobs: on this node's daemon, or with --cluster on every node.")
    static final class ListVms implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Option(names = "--cluster", description = "ask every node of the cluster's node configuration ($HPCVIRT_SLURM_CONF)")
        boolean cluster;
        @Option(names = "--as", paramLabel = "NODE", description = "with --cluster: the node whose TLS material to use (default: this host's name)")
        String self;

        @Override
        public void run() {
            List<String[]> rows = new ArrayList<>();
            if (cluster) {
                JobCommand.quietJetty();
                ClusterNodes nodes = ClusterNodes.inForce();
                String me = self != null ? self : JobCommand.hostName();
                for (String n : nodes.nodes().keySet()) {
                    try (DaemonClient c = nodes.client(n, me)) {
                        add(rows, n, c.list());
                        spares(rows, n, c.jobRecords());
                    }
                }
            } else {
                try (DaemonClient c = DaemonClient.connect(NodeLayout.fromEnvironment())) {
                    String n = c.node().path("tcp").path("node").asText("-");
                    add(rows, n, c.list());
                    spares(rows, n, c.jobRecords());
                }
            }
            PrintWriter out = spec.commandLine().getOut();
            String fmt = "%-8s %-10s %-28s %-10s %s%n";
            out.printf(Locale.ROOT, fmt, "job", "user", "vm", "node", "state");
            for (String[] r : rows) {
                out.printf(Locale.ROOT, fmt, (Object[]) r);
            }
            out.flush();
        }

        /** A job's nodes without VMs: its spares (ft.spares), and nodes its VMs moved away from. */
        private static void spares(List<String[]> rows, String node, List<java.util.Map<String, Object>> records) {
            for (java.util.Map<String, Object> r : records) {
                if (org.hpcvirt.vse.DeploymentRecords.vms(r).isEmpty()) {
                    String what = org.hpcvirt.vse.DeploymentRecords.role(r).equals("spare") ? "(spare)" : "(evacuated)";
                    rows.add(new String[] {String.valueOf(r.get("job")), String.valueOf(r.get("user")), what, node.isEmpty() ? "-" : node,
                            r.get("evacuatedTo") == null ? "-" : "moved to " + r.get("evacuatedTo")});
                }
            }
        }

        private static void add(List<String[]> rows, String node, List<VmStatus> vms) {
            for (VmStatus v : vms) {
                String job = SlurmJob.jobOf(v.name());
                if (job != null) {
                    rows.add(new String[] {job, v.owner(), v.name(), node.isEmpty() ? "-" : node, v.state().name()});
                }
            }
        }
    }
}
