package org.hpcvirt.inject;

import java.nio.file.Path;
import java.time.Duration;
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

    /** The gdbstub socket of the VMM. */
    Path gdbSocket();

    /** Guest RAM size in bytes. */
    long memoryBytes();
}
