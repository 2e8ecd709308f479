package org.hpcvirt.backend;

/**
 * What a guest is doing, as its VMM sees it ({@link Instance#runState()}), in terms that do not
 * depend on the VMM. Each backend maps its own statuses onto these values in one place; for QEMU
 * that is {@code QemuInstance.runStateOf}, and the QEMU statuses each value covers are listed
 * below (QEMU's {@code RunState} in {@code qapi/run-state.json}). A status the backend does not
 * know becomes {@link #UNKNOWN}, never an error.
 */
public enum RunState {
    /** The vCPUs run the guest. QEMU: {@code running}. */
    RUNNING,
    /**
     * The vCPUs are stopped and the guest's state is intact: stopped on request (a pause, or a
     * debugger such as a {@link MemoryAccess} session attached), or the guest suspended itself to
     * RAM. QEMU: {@code paused}, {@code debug}, {@code suspended} (ACPI S3).
     */
    PAUSED,
    /**
     * The guest has not run here yet: it waits for, or is loading, incoming state (a restore or
     * an incoming live migration), or it was started with its vCPUs stopped before its first
     * instruction. QEMU: {@code inmigrate}, {@code prelaunch}, {@code restore-vm}.
     */
    INCOMING,
    /**
     * The vCPUs are stopped for the final pass of an outgoing state transfer (a checkpoint or the
     * switch-over of a live migration) or of a VMM-internal snapshot. QEMU: {@code finish-migrate},
     * {@code save-vm}, {@code colo}.
     */
    SAVING,
    /**
     * The state was sent away by a completed live migration: this side stays paused, with its
     * disks released, because the destination may run the guest. QEMU: {@code postmigrate}.
     */
    MIGRATED,
    /** The guest kernel panicked and the VMM stopped it (pvpanic). QEMU: {@code guest-panicked}. */
    PANICKED,
    /**
     * The guest powered off; the VMM process is still there. QEMU: {@code shutdown} (with
     * {@code -no-shutdown}).
     */
    SHUTDOWN,
    /**
     * The VMM stopped the guest because something failed: a disk I/O error on a drive set to stop
     * on errors, an internal error of the VMM or accelerator, or a watchdog set to pause the guest
     * fired. QEMU: {@code io-error}, {@code internal-error}, {@code watchdog}.
     */
    ERROR,
    /** The VMM process is gone. */
    EXITED,
    /** The status could not be read (the VMM did not answer) or is one this version does not know. */
    UNKNOWN
}
