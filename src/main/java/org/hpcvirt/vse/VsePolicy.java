package org.hpcvirt.vse;

import java.util.List;
import java.util.Map;

/**
 * The administrator's constraints on virtual system environments, from
 * {@code /etc/hpcvirt/vse-policy.yaml} (or {@code --policy FILE}); every field optional, unknown
 * fields refused:
 * <pre>
 * images: [default]             # allowed images; absent: every image of the catalogue
 * catalogue: /srv/hpcvirt/images  # the image store the nodes share, checked at submission; absent: checked by the Prolog only
 * deployment: snapshot          # boot (default): every VM boots cold; snapshot: restored from a post-boot
 *                               # checkpoint of the same shape in the shared store, made by the first cold boot
 * defaults:                     # what a VSE that says nothing gets
 *   image: default
 *   cpus: 1
 *   memory: 128M
 *   vmsPerNode: 1
 *   checkpointPeriod: 1h
 * limits:                       # for every partition
 *   cpusPerVm: 2
 *   memoryPerVm: 1G
 *   diskPerVm: 4G
 *   vmsPerNode: 2
 *   cpusPerNode: 2              # all VMs of a node together
 *   memoryPerNode: 2G
 *   maxSpares: 1
 *   minCheckpointPeriod: 5m
 *   maxCheckpointPeriod: 24h
 *   onViolation: refuse         # refuse (default) or clamp, for the rules of this block
 *   onTimeLimit: none           # none (default): Slurm ends the job; checkpoint-requeue: a checkpoint set of the
 *   timeLimitMargin: 60s        #   job's VMs this long before its time limit, then 'scontrol requeue' (docs/slurm.md)
 * host:                         # kept for the host OS and the daemon on each node (checked by the Prolog)
 *   reserveCpus: 0
 *   reserveMemory: 256M
 * partitions:
 *   long:                       # "partition long: checkpoint at least every 2h"
 *     maxCheckpointPeriod: 2h
 *     onViolation: clamp
 *     onTimeLimit: checkpoint-requeue
 * </pre>
 * Immutable; values are checked by {@link VseMerge}.
 *
 * @param images     allowed image names, or null for any
 * @param catalogue  the nodes' shared image store, or null
 * @param deployment {@code boot} or {@code snapshot}, or null (boot)
 * @param defaults   defaults, or null
 * @param limits     limits of every partition, or null
 * @param host       the host reserve, or null
 * @param partitions per-partition limits (never null)
 */
public record VsePolicy(List<String> images, String catalogue, String deployment, Defaults defaults, Limits limits, HostReserve host, Map<String, Limits> partitions) {
    public VsePolicy {
        images = images == null ? null : List.copyOf(images);
        partitions = partitions == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(partitions));
    }

    /** No policy file: no limits, built-in defaults. */
    public static final VsePolicy NONE = new VsePolicy(null, null, null, null, null, null, null);

    /**
     * Defaults for fields the user leaves out.
     *
     * @param image            image
     * @param cpus             virtual CPUs per VM
     * @param memory           RAM per VM
     * @param vmsPerNode       VMs per node
     * @param checkpointPeriod checkpoint period
     */
    public record Defaults(String image, Integer cpus, String memory, Integer vmsPerNode, String checkpointPeriod) {
    }

    /**
     * One block of limits (all partitions, or one); every field optional.
     *
     * @param cpusPerVm           most virtual CPUs per VM
     * @param memoryPerVm         most RAM per VM
     * @param diskPerVm           largest data disk per VM
     * @param vmsPerNode          most VMs per node
     * @param cpusPerNode         most virtual CPUs of all VMs of a node
     * @param memoryPerNode       most RAM of all VMs of a node
     * @param maxSpares           most spare nodes
     * @param minCheckpointPeriod shortest checkpoint period
     * @param maxCheckpointPeriod longest checkpoint period ("checkpoint at least every")
     * @param onViolation         {@code refuse} (default) or {@code clamp}: what a value over one of this block's limits gets
     * @param onTimeLimit         {@code none} (default) or {@code checkpoint-requeue}: what a job gets shortly before its time limit
     * @param timeLimitMargin     how long before the time limit that checkpoint is taken (default 60s)
     */
    public record Limits(Integer cpusPerVm, String memoryPerVm, String diskPerVm, Integer vmsPerNode, Integer cpusPerNode,
            String memoryPerNode, Integer maxSpares, String minCheckpointPeriod, String maxCheckpointPeriod, String onViolation,
            String onTimeLimit, String timeLimitMargin) {
        static final Limits NONE = new Limits(null, null, null, null, null, null, null, null, null, null, null, null);
    }

    /**
     * What each node keeps for itself.
     *
     * @param reserveCpus   host cores no VM may use
     * @param reserveMemory host memory no VM may use
     */
    public record HostReserve(Integer reserveCpus, String reserveMemory) {
    }
}
