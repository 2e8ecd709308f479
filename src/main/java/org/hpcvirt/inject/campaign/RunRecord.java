package org.hpcvirt.inject.campaign;

import java.util.List;

/**
 * One run of a campaign, as written to {@code results.json} and {@code results.csv}.
 *
 * @param campaign             campaign name
 * @param backend              backend name
 * @param isolation            isolation level
 * @param fault                fault id
 * @param zone                 error zone number (1..4)
 * @param run                  run number from 1
 * @param outcome              benign, sdc, crash, hang or broken
 * @param scope                what failed: none, process, guest, vmm
 * @param detected             whether a host-side detector (or the process's exit status) saw the failure
 * @param detectedBy           the detectors that fired, earliest first
 * @param detectionLatencyMs   from the fault taking effect to the first detection, or -1
 * @param hostHealthy          host probe after the run passed
 * @param bystandersUnaffected every bystander's heartbeat went on without a gap
 * @param expectedEffect       the zone model's expectation (limited, varied, global)
 * @param observedEffect       what the run showed (limited if host and bystanders were fine, else global)
 * @param detail               what was injected and seen
 * @param durationMs           wall time of the run (reset, injection, observation)
 */
public record RunRecord(String campaign, String backend, String isolation, String fault, int zone, int run,
                        String outcome, String scope, boolean detected, List<String> detectedBy,
                        long detectionLatencyMs, boolean hostHealthy, boolean bystandersUnaffected,
                        String expectedEffect, String observedEffect, String detail, long durationMs) {
}
