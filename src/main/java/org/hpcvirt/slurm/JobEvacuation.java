package org.hpcvirt.slurm;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.hpcvirt.api.Durations;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.migration.MigrationReport;
import org.hpcvirt.vse.DeploymentRecords;

/**
 * What hpcvirt does when a node of a Slurm cluster is predicted to fail ({@code hpcvirt slurm predict},
 * or a prediction posted to a compute node's daemon, {@code POST /v1/ft/predictions}):
 * it hands the prediction to that node's daemon (its own fault-tolerance executor sees it too), and if
 * the prediction is trusted ({@code confidence} at least the trust threshold) it drains the node in
 * Slurm with a reason naming hpcvirt and the prediction, and live-migrates the VMs of every job with a
 * VSE on it to a spare node of the <em>same</em> job's allocation (one of its deployment record's
 * {@code spares} that Slurm still gives work to and that runs none of the job's VMs yet); never to a
 * node outside the allocation. Both nodes' deployment records are rewritten and each step is a node
 * event (FT_DECISION) on the node it concerns. A job with no spare left is checkpointed (one
 * checkpoint set of all its VMs) and requeued, so that Slurm starts it again on other nodes, where
 * it is restored from that set. A job whose VSE says {@code ft.proactive: false} keeps its VMs where
 * they are, and its record and an event say why. Slurm schedules and requeues; this only drains,
 * moves VMs inside an allocation, checkpoints and asks for a requeue.
 * Not thread-safe; one instance per command.
 */
public final class JobEvacuation {
    /** Below this confidence a prediction is not acted on (the fault-tolerance executor's default trust rule). */
    public static final double TRUST = 0.9;

    private final SlurmCommands slurm;
    private final ClusterDaemons daemons;
    private final long maxDowntimeMs;
    private final boolean tellNode;
    private final List<String> lines = new ArrayList<>();
    private final List<Move> moves = new ArrayList<>();
    private boolean allSafe = true;

    /**
     * @param slurm         how Slurm's commands run (drain, sinfo, squeue)
     * @param daemons       how the node daemons are reached
     * @param maxDowntimeMs the longest final pause each live migration may take
     */
    public JobEvacuation(SlurmCommands slurm, ClusterDaemons daemons, long maxDowntimeMs) {
        this(slurm, daemons, maxDowntimeMs, true);
    }

    /**
     * @param tellNode false when the predicted node's own daemon runs this and its executor has the
     *                 prediction already
     */
    public JobEvacuation(SlurmCommands slurm, ClusterDaemons daemons, long maxDowntimeMs, boolean tellNode) {
        this.slurm = slurm;
        this.daemons = daemons;
        this.maxDowntimeMs = maxDowntimeMs;
        this.tellNode = tellNode;
    }

    /** One VM moved: from where to where, and what the migration measured. */
    public record Move(String job, String vm, String from, String to, MigrationReport report) {
    }

    /**
     * What happened.
     *
     * @param lines   one line per decision, for the terminal
     * @param moves   the VMs moved
     * @param allSafe true if no VM of a job is left on the node (nothing to move counts)
     * @param drained true if the node was drained
     */
    public record Outcome(List<String> lines, List<Move> moves, boolean allSafe, boolean drained) {
    }

    /**
     * Acts on a prediction that {@code node} fails in {@code in} with {@code confidence}.
     *
     * @throws HpcvirtException NOT_FOUND for a node neither Slurm nor the node configuration knows,
     *                          INVALID_INPUT for a confidence outside 0..1, OPERATION_FAILED if Slurm
     *                          cannot be asked or refuses to drain
     */
    public Outcome predicted(String node, Duration in, double confidence) {
        if (!(confidence >= 0 && confidence <= 1)) {
            throw HpcvirtException.invalid("--confidence must be between 0 and 1, not " + confidence);
        }
        if (!daemons.nodes().contains(node)) {
            throw new HpcvirtException(ErrorCode.NOT_FOUND, "unknown node " + node + ": not in the cluster's node configuration (nodes: "
                    + String.join(", ", daemons.nodes()) + ")");
        }
        SlurmView view = SlurmView.ask(slurm);
        if (!view.nodes().containsKey(node)) {
            throw new HpcvirtException(ErrorCode.NOT_FOUND, "unknown node " + node + ": Slurm does not know it (sinfo: "
                    + String.join(", ", view.nodes().keySet()) + ")");
        }
        String prediction = String.format(Locale.ROOT, "predicted failure in %s (confidence %.2f)", Durations.format(in), confidence);
        if (tellNode) {
            try (ClusterDaemons.Node d = daemons.open(node)) {
                d.predict(node, in, confidence);
            } catch (HpcvirtException e) {
                say(node + ": its daemon did not take the prediction: " + HpcvirtException.chain(e));
            }
        }
        if (confidence < TRUST) {
            say(String.format(Locale.ROOT, "%s: %s is not trusted (below %.2f): node not drained, nothing moved", node, prediction, TRUST));
            return outcome(false);
        }
        String reason = "hpcvirt: " + prediction;
        SlurmCommands.Result drain = slurm.run(List.of("scontrol", "update", "nodename=" + node, "state=drain", "reason=" + reason));
        if (drain.exitCode() != 0) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "scontrol could not drain " + node + ": " + drain.output().strip());
        }
        say(node + ": drained in Slurm, reason \"" + reason + "\"");
        List<Map<String, Object>> records;
        try (ClusterDaemons.Node d = daemons.open(node)) {
            records = d.jobRecords();
        } catch (HpcvirtException e) {
            allSafe = false;
            say(node + ": its daemon does not answer, no VM can be moved: " + HpcvirtException.chain(e));
            return outcome(true);
        }
        List<SlurmView.Job> jobs = view.jobsOn(node);
        if (jobs.isEmpty()) {
            say(node + ": no job runs there: nothing to move");
        }
        for (SlurmView.Job job : jobs) {
            Optional<Map<String, Object>> rec = records.stream().filter(r -> job.id().equals(String.valueOf(r.get("job")))).findFirst();
            if (rec.isEmpty()) {
                say("job " + job.id() + ": has no VSE on " + node + ": nothing to move");
            } else if (DeploymentRecords.role(rec.get()).equals(DeploymentRecords.SPARE)) {
                say("job " + job.id() + ": " + node + " is one of its spare nodes: nothing to move, it is no longer a spare");
            } else if (DeploymentRecords.vms(rec.get()).isEmpty()) {
                say("job " + job.id() + ": no VM left on " + node + ": nothing to move");
            } else {
                evacuate(job, rec.get(), node, reason, view);
            }
        }
        return outcome(true);
    }

    private void evacuate(SlurmView.Job job, Map<String, Object> record, String node, String reason, SlurmView view) {
        List<String> vms = DeploymentRecords.vms(record);
        if (!Boolean.TRUE.equals(record.get("proactive"))) {
            refuse(job, record, node, reason, "its VSE says ft.proactive: false: its VMs " + vms + " stay on " + node);
            return;
        }
        List<String> why = new ArrayList<>();
        String target = null;
        for (String spare : DeploymentRecords.spares(record)) {
            String not = unusable(job, spare, node, view);
            if (not == null) {
                target = spare;
                break;
            }
            why.add(spare + ": " + not);
        }
        if (target == null) {
            String none = "no spare node left in its allocation (" + (why.isEmpty() ? "its VSE asked for none (ft.spares: 0)"
                    : String.join("; ", why)) + ")";
            checkpointAndRequeue(job, record, node, reason, none, vms);
            return;
        }
        List<String> moved = new ArrayList<>();
        for (String vm : vms) {
            try (ClusterDaemons.Node d = daemons.open(node)) {
                MigrationReport r = d.migrate(vm, daemons.url(target), maxDowntimeMs);
                moves.add(new Move(job.id(), vm, node, target, r));
                moved.add(vm);
                say(String.format(Locale.ROOT, "job %s: %s live-migrated %s -> %s (spare of the job): guest paused %d ms (QEMU downtime %d ms),"
                        + " %d ms in all", job.id(), vm, node, target, r.pauseMs(), r.downtimeMs(), r.elapsedMs()));
            } catch (HpcvirtException e) {
                allSafe = false;
                say("job " + job.id() + ": " + vm + " could not be moved to " + target + ": " + HpcvirtException.chain(e));
                break;
            }
        }
        if (moved.isEmpty()) {
            note(node, job.id(), null, "job " + job.id() + ": no VM could be moved from " + node + " to its spare " + target + " (" + reason + ")");
            return;
        }
        String now = Instant.now().toString();
        Map<String, Object> there = new LinkedHashMap<>(record);
        there.put("node", target);
        there.put("role", DeploymentRecords.COMPUTE);
        there.put("vms", moved);
        there.put("evacuatedFrom", node);
        there.put("moved", now);
        there.put("reason", reason);
        if (record.get("labels") instanceof Map<?, ?> labels) {
            Map<String, Object> l = new LinkedHashMap<>();
            labels.forEach((k, v) -> l.put(String.valueOf(k), v));
            l.put("node", target);
            there.put("labels", l);
        }
        note(target, job.id(), there, "job " + job.id() + ": " + String.join(", ", moved) + " arrived from " + node + " (" + reason + ")");
        Map<String, Object> here = new LinkedHashMap<>(record);
        List<String> left = new ArrayList<>(vms);
        left.removeAll(moved);
        here.put("vms", left);
        here.put("evacuatedTo", target);
        here.put("moved", now);
        here.put("reason", reason);
        note(node, job.id(), here, "job " + job.id() + ": " + String.join(", ", moved) + " moved to spare " + target + " (" + reason + ")");
    }

    /** Why {@code spare} cannot take the job's VMs from {@code node}, or null if it can. */
    private String unusable(SlurmView.Job job, String spare, String node, SlurmView view) {
        if (spare.equals(node)) {
            return "it is the failing node";
        }
        if (!job.nodes().contains(spare)) {
            return "not in the job's allocation " + job.nodes();
        }
        SlurmView.NodeState s = view.nodes().get(spare);
        if (s == null) {
            return "Slurm does not know it";
        }
        if (s.unavailable()) {
            return s.describe();
        }
        if (!daemons.nodes().contains(spare)) {
            return "not in the cluster's node configuration";
        }
        try (ClusterDaemons.Node d = daemons.open(spare)) {
            Optional<Map<String, Object>> rec = d.jobRecords().stream().filter(r -> job.id().equals(String.valueOf(r.get("job")))).findFirst();
            if (rec.isPresent() && !DeploymentRecords.vms(rec.get()).isEmpty()) {
                return "already runs the job's VMs " + DeploymentRecords.vms(rec.get());
            }
            boolean busy = d.list().stream().anyMatch(v -> job.id().equals(SlurmJob.jobOf(v.name())));
            return busy ? "already runs VMs of the job" : null;
        } catch (HpcvirtException e) {
            return "its daemon does not answer (" + HpcvirtException.chain(e) + ")";
        }
    }

    /**
     * The fallback of a job with no spare: one checkpoint set of all its VMs (taken by the daemon of
     * the job's first node), then {@code scontrol requeue}: Slurm ends this run (the Epilogs remove
     * the VMs, also from the drained node) and starts the job again elsewhere, where the Prologs
     * restore the set ({@link JobRestore}). If either step fails the VMs stay and the record says why.
     */
    private void checkpointAndRequeue(SlurmView.Job job, Map<String, Object> record, String node, String reason, String none,
            List<String> vms) {
        if (job.nodes().isEmpty()) {
            refuse(job, record, node, reason, none + "; Slurm names no nodes of the job, so no checkpoint set: its VMs " + vms
                    + " stay on " + node);
            return;
        }
        CheckpointSet set;
        try (ClusterDaemons.Node first = daemons.open(job.nodes().get(0))) {
            set = first.checkpointJob(job.id(), job.nodes(), "prediction");
        } catch (HpcvirtException e) {
            refuse(job, record, node, reason, none + "; the checkpoint set failed (" + HpcvirtException.chain(e) + "): its VMs " + vms
                    + " stay on " + node);
            return;
        }
        SlurmCommands.Result r = slurm.run(List.of("scontrol", "requeue", job.id()));
        if (r.exitCode() != 0) {
            refuse(job, record, node, reason, none + "; " + set.label() + " taken, but scontrol requeue failed (" + r.output().strip()
                    + "): its VMs " + vms + " stay on " + node);
            return;
        }
        Map<String, Object> here = new LinkedHashMap<>(record);
        here.put("evacuation", Map.of("requeued", set.label(), "reason", reason, "time", Instant.now().toString()));
        note(node, job.id(), here, "job " + job.id() + ": " + none + ": " + set.label() + " taken (guests paused " + set.pauseMs()
                + " ms) and the job requeued: it restarts from that set on the nodes Slurm gives it, not on the drained " + node
                + " (" + reason + ")");
    }

    private void refuse(SlurmView.Job job, Map<String, Object> record, String node, String reason, String why) {
        allSafe = false;
        Map<String, Object> here = new LinkedHashMap<>(record);
        here.put("evacuation", Map.of("refused", why, "reason", reason, "time", Instant.now().toString()));
        note(node, job.id(), here, "job " + job.id() + ": not evacuated from " + node + " (" + reason + "): " + why);
    }

    /** Writes a record (null: none) and a note on {@code node}, and says the note. */
    private void note(String node, String job, Map<String, Object> record, String text) {
        say(text);
        try (ClusterDaemons.Node d = daemons.open(node)) {
            d.putJobRecord(job, record, text);
        } catch (HpcvirtException e) {
            allSafe = false;
            say(node + ": could not record this: " + HpcvirtException.chain(e));
        }
    }

    private void say(String line) {
        lines.add(line);
    }

    private Outcome outcome(boolean drained) {
        return new Outcome(List.copyOf(lines), List.copyOf(moves), allSafe, drained);
    }
}
