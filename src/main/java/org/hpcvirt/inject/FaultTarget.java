package org.hpcvirt.inject;

import java.time.Duration;
import java.util.Optional;
import org.hpcvirt.backend.MemoryAccess;
import org.hpcvirt.guest.ExecResult;

/**
 * The victim VM as injectors see it, whoever manages it: the daemon ({@link DaemonTarget}) or a
 * campaign running backends in-process. Implementations are thread-safe.
 */
public interface FaultTarget {
    /** VM name, for messages. */
    String name();

    /** Backend name ({@code qemu}, {@code kvm}, …). */
    String backend();

    /**
     * Runs {@code shellCommand} in the guest through the agent and returns its outcome.
     *
     * @throws org.hpcvirt.api.HpcvirtException TIMEOUT or OPERATION_FAILED as {@code GuestChannel.exec}
     */
    ExecResult exec(String shellCommand, Duration timeout);

    /** Pid of the VMM (QEMU) process on this host. */
    long vmmPid();

    /**
     * Access to the guest's physical memory and registers from outside (soft errors), or empty if
     * the backend has none.
     */
    Optional<MemoryAccess> memoryAccess();

    /** Guest RAM size in bytes. */
    long memoryBytes();
}
