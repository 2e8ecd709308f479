package org.hpcvirt.migration;

import org.hpcvirt.vm.VmStatus;

/**
 * What a completed live migration did.
 *
 * @param vm          the VM
 * @param to          the destination (URL)
 * @param uri         the QEMU migration URI the state went to
 * @param totalMs     QEMU's total migration time (pre-copy and final pass)
 * @param downtimeMs  QEMU's downtime: vCPUs stopped on the source until the stream ended
 * @param pauseMs     guest-visible pause measured by the daemon: QEMU's downtime plus the time until
 *                    the destination had resumed the vCPUs (an upper bound)
 * @param bytes       bytes of RAM transferred
 * @param elapsedMs   wall time of the whole request (disk check, destination set-up, stream, confirmation)
 * @param destination the VM's status on the destination after it confirmed RUNNING
 */
public record MigrationReport(String vm, String to, String uri, long totalMs, long downtimeMs, long pauseMs, long bytes,
        long elapsedMs, VmStatus destination) {
}
