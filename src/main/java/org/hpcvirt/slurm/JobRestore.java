package org.hpcvirt.slurm;

import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Operation;
import org.hpcvirt.api.OperationClient;
import org.hpcvirt.vm.VmStatus;

/**
 * The Prolog's part when Slurm runs a job again (requeued after a time limit, a node failure or by
 * hand): instead of booting, this node's VMs of the job are restored from the job's newest good
 * checkpoint set ({@link CheckpointSets#restorable}: every member verified, on whatever nodes Slurm
 * allocated this time). The set's members are dealt out in order: the job's i-th node now (in
 * {@code SLURM_NODELIST} order) gets members {@code i·n … i·n+n-1}, n being this node's VMs. Every
 * node's Prolog verifies the whole set, so all of them pick the same one; newer sets that did not
 * verify are named in the Prolog's log and in the job's comment. Not thread-safe; one per hook run.
 */
public final class JobRestore {
    private final OperationClient daemon;
    private final SlurmCommands slurm;
    private final PrintStream log;

    /**
     * @param daemon this node's daemon (the caller closes it)
     * @param slurm  runs scontrol (the job's comment)
     * @param log    the Prolog's log
     */
    public JobRestore(OperationClient daemon, SlurmCommands slurm, PrintStream log) {
        this.daemon = daemon;
        this.slurm = slurm;
        this.log = log;
    }

    /**
     * Restores {@code names} (defined, not started) from the job's newest good set when
     * {@code restartCount} &gt; 0 and there is one, without waiting for heartbeats.
     *
     * @return how they came up, or null: nothing to restore from, boot them
     * @throws HpcvirtException when the set does not fit this allocation or a restore fails
     */
    public String restore(SlurmJob job, int restartCount, List<String> names, Duration timeout) {
        if (restartCount <= 0) {
            return null;
        }
        long t0 = System.nanoTime();
        CheckpointSet.Restorable r = daemon.execute(new Operation.RestorableCheckpointSet(job.id()), CheckpointSet.Restorable.class);
        long verified = System.nanoTime();
        String skipped = r.skipped().isEmpty() ? "" : "; skipped: " + String.join("; ", r.skipped());
        if (r.set() == null) {
            String msg = "hpcvirt: job " + job.id() + " restart " + restartCount + ": no good checkpoint set"
                    + (r.skipped().isEmpty() ? "" : " (" + String.join("; ", r.skipped()) + ")") + ", booting cold";
            log.println(msg);
            if (!r.skipped().isEmpty()) {
                comment(job, msg);
            }
            return null;
        }
        CheckpointSet s = r.set();
        int position = job.nodes().indexOf(job.node());
        if (position < 0) {
            throw HpcvirtException.invalid("node " + job.node() + " is not in the job's node list " + job.nodes());
        }
        int per = names.size();
        if (s.members().size() > job.nodes().size() * per) {
            throw HpcvirtException.invalid(s.label() + " has " + s.members().size() + " VMs; this run has " + job.nodes().size()
                    + " node(s) × " + per + " VM(s)");
        }
        int from = position * per;
        if (from >= s.members().size()) {
            log.println("hpcvirt: job " + job.id() + ": " + s.label() + " has no VM for " + job.node() + ", booting cold");
            return null;
        }
        StringBuilder how = new StringBuilder();
        for (int i = 0; i < per && from + i < s.members().size(); i++) {
            CheckpointSet.Member mb = s.members().get(from + i);
            daemon.execute(new Operation.Restore(mb.checkpoint(), names.get(i), false, (int) Math.max(1, timeout.toSeconds())), VmStatus.class);
            how.append(i == 0 ? "" : ", ").append(names.get(i)).append(" from ").append(mb.vm()).append(" of ").append(mb.node());
        }
        long restored = System.nanoTime();
        String line = "restored from " + s.label() + " (" + s.reason() + ", " + s.created() + "; verified in "
                + (verified - t0) / 1_000_000 + " ms, restore started in " + (restored - verified) / 1_000_000 + " ms): " + how
                + (r.skipped().isEmpty() ? "" : "; newer set(s) skipped: " + String.join("; ", r.skipped()));
        if (!r.skipped().isEmpty()) {
            log.println("hpcvirt: job " + job.id() + ": the newest checkpoint set is not good, falling back" + skipped);
            comment(job, "hpcvirt: restored from " + s.label() + skipped);
        }
        return line;
    }

    private void comment(SlurmJob job, String text) {
        // Slurm stores the comment as bytes of the hook's locale (often ASCII): keep it ASCII
        String ascii = text.replace("…", "...").replaceAll("[^\\x20-\\x7e]", "?");
        String c = ascii.length() > 500 ? ascii.substring(0, 497) + "..." : ascii;
        SlurmCommands.Result res = slurm.run(List.of("scontrol", "update", "jobid=" + job.id(), "comment=" + c));
        if (res.exitCode() != 0) {
            log.println("hpcvirt: scontrol update of job " + job.id() + " failed: " + res.output().strip());
        }
    }
}
