package org.hpcvirt.inject;

import java.time.Instant;

/**
 * What a daemon-side injection did, as {@code POST /v1/vms/{name}/inject} returns it. Whether and
 * how the fault was detected is told by the events after {@code eventSeq}.
 *
 * @param vm             the victim VM
 * @param fault          fault id
 * @param zone           the error zone the fault starts in ({@code E-Zone 3})
 * @param place          what that zone is ({@code guest kernel})
 * @param backend        the VM's backend
 * @param isolation      the isolation level assumed
 * @param expectedEffect the zone model's expected spread ({@code limited}, {@code varied}, {@code global})
 * @param at             when the fault took effect
 * @param detail         what exactly was done (address, bit, signal, …)
 * @param processExit    exit status of the faulting guest process, or -1
 * @param golden         the known-answer workload's result before the fault (soft errors), or null
 * @param workload       its result after the fault, or null
 * @param eventSeq       sequence number of the last event before the fault took effect; detections follow
 *                       it (they can come before the INJECTION event: a killed QEMU is noticed at once)
 * @param injectionSeq   sequence number of the INJECTION event
 */
public record InjectionReport(String vm, String fault, String zone, String place, String backend, String isolation,
        String expectedEffect, Instant at, String detail, int processExit, String golden, String workload, long eventSeq,
        long injectionSeq) {
}
