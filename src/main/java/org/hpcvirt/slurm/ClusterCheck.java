package org.hpcvirt.slurm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.VmState;
import org.hpcvirt.vm.VmStatus;
import org.hpcvirt.vse.DeploymentRecords;

/**
 * {@code hpcvirt slurm check}: compares Slurm's view of the cluster ({@link SlurmView}: nodes and
 * their states, the jobs that hold nodes) with hpcvirt's (each node daemon's VMs and deployment
 * records) and names every disagreement: a VM or record of a job Slurm does not run, a job VM outside
 * its job's allocation, a VSE job whose VM is missing on a node that should run it, a VM that is in no
 * record, a node drained by hpcvirt that still runs job VMs, a daemon that does not answer. Stateless;
 * {@link #compare} is a pure function, {@link #run} asks Slurm and the daemons.
 */
public final class ClusterCheck {
    private ClusterCheck() {
    }

    /**
     * One disagreement.
     *
     * @param kind    what kind, a stable word ({@code daemon}, {@code no-job}, {@code outside}, {@code missing},
     *                {@code unrecorded}, {@code no-record}, {@code drained}, {@code unknown-node})
     * @param node    the node it is seen on, or null
     * @param job     the job, or null
     * @param vm      the VM, or null
     * @param message one line
     */
    public record Problem(String kind, String node, String job, String vm, String message) {
    }

    /**
     * What one node's daemon said: its VMs and records, or why it did not answer.
     *
     * @param vms     its VMs (null when it did not answer)
     * @param records its deployment records (null when it did not answer)
     * @param error   why it did not answer, or null
     */
    public record NodeReport(List<VmStatus> vms, List<Map<String, Object>> records, String error) {
    }

    /** Asks Slurm and every daemon of {@code daemons}, then compares. */
    public static List<Problem> run(SlurmCommands slurm, ClusterDaemons daemons) {
        SlurmView view = SlurmView.ask(slurm);
        Map<String, NodeReport> reports = new LinkedHashMap<>();
        for (String n : daemons.nodes()) {
            try (ClusterDaemons.Node d = daemons.open(n)) {
                reports.put(n, new NodeReport(d.list(), d.jobRecords(), null));
            } catch (HpcvirtException e) {
                reports.put(n, new NodeReport(null, null, HpcvirtException.chain(e)));
            }
        }
        return compare(view, reports);
    }

    /** The disagreements between {@code slurm} and the daemons' {@code reports} (node → report), node by node, then job by job. */
    public static List<Problem> compare(SlurmView slurm, Map<String, NodeReport> reports) {
        List<Problem> out = new ArrayList<>();
        for (Map.Entry<String, NodeReport> e : reports.entrySet()) {
            String node = e.getKey();
            NodeReport r = e.getValue();
            if (!slurm.nodes().containsKey(node)) {
                out.add(new Problem("unknown-node", node, null, null, node + ": in the cluster's node configuration, but Slurm does not know it"));
            }
            if (r.error() != null) {
                SlurmView.NodeState gone = slurm.nodes().get(node);
                // a dead node: Slurm has it down too, and it holds no job any more (the jobs below say so if it does)
                if (gone == null || !gone.down()) {
                    out.add(new Problem("daemon", node, null, null, node + ": the hpcvirt daemon does not answer: " + r.error()));
                }
                continue;
            }
            SlurmView.NodeState state = slurm.nodes().get(node);
            for (VmStatus vm : r.vms()) {
                String job = SlurmJob.jobOf(vm.name());
                if (job == null) {
                    continue;
                }
                SlurmView.Job j = slurm.jobs().get(job);
                if (j == null) {
                    out.add(new Problem("no-job", node, job, vm.name(), node + ": VM " + vm.name() + " belongs to job " + job
                            + ", which Slurm does not run"));
                    continue;
                }
                if (!j.nodes().contains(node)) {
                    out.add(new Problem("outside", node, job, vm.name(), node + ": VM " + vm.name() + " of job " + job
                            + " is outside the job's allocation " + String.join(",", j.nodes())));
                    continue;
                }
                if (state != null && state.drained() && state.reason() != null && state.reason().startsWith("hpcvirt:")) {
                    out.add(new Problem("drained", node, job, vm.name(), node + ": " + state.describe() + ", but still has VM " + vm.name()
                            + " (" + vm.state() + ") of job " + job));
                }
                Map<String, Object> rec = record(r.records(), job);
                if (rec != null && !DeploymentRecords.vms(rec).contains(vm.name())) {
                    out.add(new Problem("unrecorded", node, job, vm.name(), node + ": VM " + vm.name() + " of job " + job
                            + " is not in the node's deployment record of the job (" + DeploymentRecords.vms(rec) + ")"));
                }
            }
            for (Map<String, Object> rec : r.records()) {
                String job = String.valueOf(rec.get("job"));
                SlurmView.Job j = slurm.jobs().get(job);
                if (j == null) {
                    out.add(new Problem("no-job", node, job, null, node + ": deployment record of job " + job + ", which Slurm does not run"));
                } else if (!j.nodes().contains(node)) {
                    out.add(new Problem("outside", node, job, null, node + ": deployment record of job " + job
                            + ", whose allocation " + String.join(",", j.nodes()) + " does not include this node"));
                } else {
                    Set<String> there = new java.util.HashSet<>();
                    r.vms().forEach(v -> there.add(v.name()));
                    for (String vm : DeploymentRecords.vms(rec)) {
                        VmStatus s = r.vms().stream().filter(v -> v.name().equals(vm)).findFirst().orElse(null);
                        if (s == null) {
                            out.add(new Problem("missing", node, job, vm, "job " + job + ": VM " + vm + " of the deployment record on " + node
                                    + " is not there"));
                        } else if (s.state() != VmState.RUNNING && s.state() != VmState.MIGRATING && s.state() != VmState.STARTING) {
                            out.add(new Problem("missing", node, job, vm, "job " + job + ": VM " + vm + " on " + node + " is " + s.state()
                                    + ", not running"));
                        }
                    }
                }
            }
        }
        // a job with a VSE (a record on one of its nodes) has a record on every node of its allocation
        for (SlurmView.Job j : slurm.jobs().values()) {
            List<String> with = new ArrayList<>();
            List<String> without = new ArrayList<>();
            for (String n : j.nodes()) {
                NodeReport r = reports.get(n);
                if (r == null || r.error() != null) {
                    continue;
                }
                (record(r.records(), j.id()) != null ? with : without).add(n);
            }
            if (!with.isEmpty()) {
                for (String n : without) {
                    out.add(new Problem("no-record", n, j.id(), null, "job " + j.id() + ": no deployment record on " + n
                            + " (the job has a VSE: records on " + String.join(",", with) + ")"));
                }
            }
        }
        return out;
    }

    private static Map<String, Object> record(List<Map<String, Object>> records, String job) {
        for (Map<String, Object> r : records) {
            if (job.equals(String.valueOf(r.get("job")))) {
                return r;
            }
        }
        return null;
    }
}
