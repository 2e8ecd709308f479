package org.hpcvirt.vse;

import java.time.Duration;
import java.util.Map;
import org.hpcvirt.ft.MergedPolicy.Sourced;

/**
 * A virtual system environment after the merge of the user's file with the administrator's policy:
 * each value with who decided it ({@code user (vm.cpus)}, {@code admin (defaults.memory)},
 * {@code admin (partitions.long.maxCheckpointPeriod), lowered from 4h (user (ft.checkpointPeriod))},
 * {@code built-in default}). Immutable.
 *
 * @param partition        the Slurm partition it was merged for (value null: the default rules)
 * @param image            golden image
 * @param cpus             virtual CPUs per VM
 * @param memoryBytes      RAM per VM
 * @param diskBytes        data disk per VM (value null: none)
 * @param vmsPerNode       VMs on each node
 * @param checkpointPeriod checkpoint period (value null: none)
 * @param proactive        act on failure predictions
 * @param spares           spare nodes
 * @param network          {@code none} or {@code private} (one network of the job's VMs across its nodes)
 * @param labels           the user's labels
 * @param reserveCpus      host cores kept for the node (checked at deployment)
 * @param reserveMemory    host memory kept for the node (checked at deployment)
 * @param deployment       {@code boot} (cold boot) or {@code snapshot} (restore from a post-boot checkpoint)
 */
public record MergedVse(Sourced<String> partition, Sourced<String> image, Sourced<Integer> cpus, Sourced<Long> memoryBytes,
        Sourced<Long> diskBytes, Sourced<Integer> vmsPerNode, Sourced<Duration> checkpointPeriod, Sourced<Boolean> proactive,
        Sourced<Integer> spares, Sourced<String> network, Sourced<Map<String, String>> labels, Sourced<Integer> reserveCpus,
        Sourced<Long> reserveMemory, Sourced<String> deployment) {
}
