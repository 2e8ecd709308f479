package org.hpcvirt.enclave;

import java.util.List;

/**
 * What enclaves may not take from the node: cores kept for the host OS and the daemon, and
 * memory kept for the host. Read from the node's {@code enclave-node.yaml} in the daemon's home
 * ({@link EnclaveLoader#parseNode}); {@link #DEFAULT} when there is none. Immutable.
 *
 * @param cores       host cores no enclave may use
 * @param memoryBytes memory subtracted from MemTotal before enclaves are admitted
 */
public record NodeReserve(List<Integer> cores, long memoryBytes) {
    /** No reserved core, 512 MiB for the host. */
    public static final NodeReserve DEFAULT = new NodeReserve(List.of(), 512L * 1024 * 1024);

    public NodeReserve {
        cores = List.copyOf(cores);
    }
}
