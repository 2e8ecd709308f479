package org.hpcvirt.slurm;

import java.time.Instant;
import java.util.List;

/**
 * One coordinated checkpoint of a Slurm job: the checkpoints of all its VMs, taken while every one
 * of them was paused, as one unit ({@code STORE/jobs/<JOB>/set-<SEQ>.json}, see {@link CheckpointSets}).
 * A set is complete once its file exists; it is good when every member checkpoint verifies and its
 * manifest is still the one recorded here. Immutable.
 *
 * @param format     {@link #FORMAT}; readers refuse other values
 * @param job        Slurm job id
 * @param seq        sequence number of the set within the job, from 1
 * @param created    when the last VM was paused (the consistent point)
 * @param reason     why it was taken: {@code request}, {@code periodic}, {@code time-limit}
 * @param nodes      the job's nodes when it was taken, in Slurm's order
 * @param vmsPerNode VMs of the job on each node
 * @param pauseMs    how long the job's VMs were paused, from the first pause to the last resume
 * @param members    the checkpoints, node by node in {@code nodes} order, then by VM index
 */
public record CheckpointSet(int format, String job, int seq, Instant created, String reason, List<String> nodes, int vmsPerNode,
        long pauseMs, List<Member> members) {

    /** Version of this format. */
    public static final int FORMAT = 1;

    public CheckpointSet {
        nodes = nodes == null ? List.of() : List.copyOf(nodes);
        members = members == null ? List.of() : List.copyOf(members);
    }

    /** The set's name in messages: {@code job 12 set 3}. */
    public String label() {
        return "job " + job + " set " + seq;
    }

    /**
     * One VM's checkpoint in a set.
     *
     * @param node           the node it ran on
     * @param index          its index on that node ({@code j<JOB>-<NODE>-<INDEX>})
     * @param vm             its name
     * @param checkpoint     the checkpoint id in the store
     * @param manifestSha256 SHA-256 of that checkpoint's {@code manifest.json} when the set was written
     */
    public record Member(String node, int index, String vm, String checkpoint, String manifestSha256) {
    }

    /**
     * The answer to "which set would a restart use": the newest good set (null if none) and why each
     * newer one was skipped.
     *
     * @param set     the newest set that verifies, or null
     * @param skipped one line per newer set that did not verify, newest first
     */
    public record Restorable(CheckpointSet set, List<String> skipped) {
        public Restorable {
            skipped = skipped == null ? List.of() : List.copyOf(skipped);
        }
    }
}
