package org.hpcvirt.backend;

import java.time.Duration;
import java.util.Set;

/**
 * Capability: read and write a guest's physical memory and its vCPU registers from outside the
 * guest, with the vCPUs stopped: what soft-error injection needs (QEMU: through its gdbstub). The
 * object itself holds no connection; each {@link #open} makes one. Thread-safe; but a VMM may take
 * one session at a time (QEMU's gdbstub does), so callers open one session per instance at a time.
 */
public interface MemoryAccess {
    /**
     * The register names an x86-64 guest's sessions accept ({@link Session#readRegister}): the
     * sixteen 64-bit general-purpose registers and {@code rip}.
     */
    Set<String> X86_64_REGISTERS = Set.of("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
            "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip");

    /**
     * Opens a session: stops every vCPU (the instance's {@link Instance#runState()} is then
     * {@link RunState#PAUSED}) and keeps them stopped until the session is closed. The caller owns
     * the session and closes it (try-with-resources), which resumes the vCPUs.
     *
     * @param timeout longest wait for each answer of the VMM, in this call and in the session
     * @throws org.hpcvirt.api.HpcvirtException OPERATION_FAILED if the VMM cannot be reached or
     *         does not answer like it should, TIMEOUT if it does not answer in time
     */
    Session open(Duration timeout);

    /**
     * One open session; the vCPUs stay stopped while it is open. Not thread-safe: one caller at a
     * time. Every method throws {@link org.hpcvirt.api.HpcvirtException} OPERATION_FAILED if the
     * VMM refuses (e.g. an address outside guest memory) and TIMEOUT if it does not answer.
     */
    interface Session extends AutoCloseable {
        /** Reads {@code length} bytes of guest-physical memory at {@code physAddr}. */
        byte[] read(long physAddr, int length);

        /** Writes {@code data} to guest-physical memory at {@code physAddr}. */
        void write(long physAddr, byte[] data);

        /**
         * The value of one 64-bit register (a name of {@link #X86_64_REGISTERS} for an x86-64 guest)
         * of the vCPU the VMM reports as current (QEMU: the one that stopped first).
         *
         * @throws org.hpcvirt.api.HpcvirtException INVALID_INPUT for an unknown register name
         */
        long readRegister(String name);

        /** Sets one 64-bit register of the current vCPU, leaving every other register as it is. */
        void writeRegister(String name, long value);

        /**
         * Undoes any mode the session set in the VMM, resumes the vCPUs and releases the connection.
         * The connection is released even if resuming fails; that failure is then thrown
         * (OPERATION_FAILED: the guest may still be stopped). Idempotent.
         */
        @Override
        void close();
    }

    /**
     * Backend capability ({@link Backend#capability}): the memory access of an instance known only
     * by its record, without attaching to it: for a process other than the one that holds the
     * instance (the CLI while the daemon holds the VM). Thread-safe.
     */
    interface Provider {
        /** The memory access of the instance of {@code record}; nothing is connected until {@link MemoryAccess#open}. */
        MemoryAccess of(InstanceRecord record);
    }
}
