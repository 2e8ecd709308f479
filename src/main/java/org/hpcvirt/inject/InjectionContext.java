package org.hpcvirt.inject;

import java.time.Duration;
import java.util.Random;

/**
 * What an injection may depend on besides its options.
 *
 * @param random          source of random choices (addresses, bits), seeded by the campaign for repeatability
 * @param workloadRounds  rounds of the checksum workload run around soft errors
 * @param workloadTimeout longest wait for the workload's result before the run counts as a hang
 */
public record InjectionContext(Random random, int workloadRounds, Duration workloadTimeout) {
}
