package org.hpcvirt.backend;

/**
 * What a backend can do, as one cell of the capability matrix ({@code hpcvirt backends},
 * {@code GET /v1/backends}). A backend answers for each value through {@link Backend#capabilities()}:
 * present, or absent with the reason. Each value says which SPI object (or rule) it stands for, so
 * that the matrix and what an {@link Instance} really offers cannot drift apart:
 * {@code BackendContractIT} checks every present cell against the instance.
 */
public enum Capability {
    /** Launch, watch, re-attach after a daemon restart and kill ({@link Backend#launch}, {@link Backend#attach}). */
    LIFECYCLE("lifecycle"),
    /** Stop and resume the guest without losing state ({@link Pausable}). */
    PAUSE("pause"),
    /** Save the guest's state to a file and restore it ({@link Checkpointable}). */
    CHECKPOINT("checkpoint"),
    /** Live migration to another node ({@link Migratable}, {@link IncomingLaunch}). */
    MIGRATE("migrate"),
    /** Read and write guest-physical memory and vCPU registers ({@link MemoryAccess}). */
    MEMORY_ACCESS("memory access"),
    /** Faults that start in the guest kernel (E-Zone 3) may be injected without hitting the host kernel. */
    KERNEL_FAULTS("kernel faults"),
    /** A profile's data disk (a qcow2 image) is attached to the guest ({@link LaunchSpec#dataDisk()}). */
    DATA_DISK("data disk");

    private final String label;

    Capability(String label) {
        this.label = label;
    }

    /**
     * The cell an SPI capability interface belongs to: {@link Pausable} → PAUSE, {@link Checkpointable}
     * and {@link DiskSnapshots} → CHECKPOINT, {@link Migratable} and {@link IncomingLaunch} → MIGRATE,
     * {@link MemoryAccess} and its provider → MEMORY_ACCESS.
     *
     * @throws IllegalArgumentException for any other type
     */
    public static Capability of(Class<?> spi) {
        if (spi == Pausable.class) {
            return PAUSE;
        }
        if (spi == Checkpointable.class || spi == DiskSnapshots.class) {
            return CHECKPOINT;
        }
        if (spi == Migratable.class || spi == IncomingLaunch.class) {
            return MIGRATE;
        }
        if (spi == MemoryAccess.class || spi == MemoryAccess.Provider.class) {
            return MEMORY_ACCESS;
        }
        throw new IllegalArgumentException("no capability cell for " + spi.getName());
    }

    /** The column heading and the name used in messages and JSON, e.g. "memory access". */
    public String label() {
        return label;
    }
}
