package org.hpcvirt.enclave;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.hpcvirt.api.DataSize;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/**
 * Decides whether an enclave fits on the node beside the enclaves already there, and which cores
 * it gets: the cores it lists, or the lowest free ones for a count. No two enclaves share a core,
 * no enclave takes a reserved core, and the enclaves' memory together stays within MemTotal minus
 * the reserve. Pure; the caller serialises admissions.
 */
public final class Admission {
    private Admission() {
    }

    /**
     * An enclave already admitted.
     *
     * @param name        its name
     * @param cores       its cores
     * @param memoryBytes its guest memory
     */
    public record Claim(String name, List<Integer> cores, long memoryBytes) {
        public Claim {
            cores = List.copyOf(cores);
        }
    }

    /**
     * The cores {@code spec} gets.
     *
     * @throws HpcvirtException REFUSED naming the enclave that holds a wanted core, the reserve, or
     *                          the enclaves that hold the memory
     */
    public static List<Integer> admit(EnclaveSpec spec, List<Claim> existing, NodeResources node) {
        List<Integer> cores;
        if (!spec.cores().isEmpty()) {
            for (int core : spec.cores()) {
                if (node.reserve().cores().contains(core)) {
                    throw refused("enclave '" + spec.name() + "': core " + core + " is reserved for the host (reservedCores "
                            + EnclaveLoader.ranges(node.reserve().cores()) + ")");
                }
                for (Claim c : existing) {
                    if (c.cores().contains(core)) {
                        throw refused("enclave '" + spec.name() + "': core " + core + " belongs to enclave '" + c.name()
                                + "' (cores " + EnclaveLoader.ranges(c.cores()) + ")");
                    }
                }
            }
            cores = spec.cores();
        } else {
            List<Integer> free = new ArrayList<>(node.cores());
            free.removeAll(node.reserve().cores());
            existing.forEach(c -> free.removeAll(c.cores()));
            if (free.size() < spec.coreCount()) {
                throw refused("enclave '" + spec.name() + "' needs " + spec.coreCount() + " core(s); free: "
                        + EnclaveLoader.ranges(free) + " (" + holders(existing) + "; reserved for the host: "
                        + EnclaveLoader.ranges(node.reserve().cores()) + ")");
            }
            cores = List.copyOf(free.subList(0, spec.coreCount()));
        }
        long used = existing.stream().mapToLong(Claim::memoryBytes).sum();
        if (used + spec.memoryBytes() > node.enclaveMemory()) {
            throw refused("enclave '" + spec.name() + "' needs " + size(spec.memoryBytes()) + " of memory; enclaves may take "
                    + size(node.enclaveMemory()) + " (MemTotal " + size(node.memTotal()) + " minus "
                    + size(node.reserve().memoryBytes()) + " for the host) and "
                    + (existing.isEmpty() ? "none is taken"
                            : existing.stream().map(c -> "enclave '" + c.name() + "' holds " + size(c.memoryBytes()))
                                    .collect(Collectors.joining(", "))));
        }
        return cores;
    }

    /**
     * Refuses an ordinary VM (not an enclave) whose profile pins it to a core an enclave holds:
     * an enclave's cores are dedicated to it.
     *
     * @param vm      the VM's name
     * @param pinning the host cores of its profile's {@code pinning:} (empty: not pinned, always admitted)
     * @param enclaves the enclaves' claims
     * @throws HpcvirtException REFUSED naming the enclave and the core
     */
    public static void admitPinnedVm(String vm, List<Integer> pinning, List<Claim> enclaves) {
        for (int core : pinning) {
            for (Claim c : enclaves) {
                if (c.cores().contains(core) && !c.name().equals(vm)) {
                    throw refused("VM '" + vm + "': pinning: core " + core + " belongs to enclave '" + c.name() + "' (cores "
                            + EnclaveLoader.ranges(c.cores()) + "); an enclave's cores are dedicated to it");
                }
            }
        }
    }

    /** Whole units when exact ({@code 128M}), else MiB with one decimal ({@code 24105.3M}). */
    static String size(long bytes) {
        return bytes % (1L << 20) == 0 ? DataSize.format(bytes) : String.format(java.util.Locale.ROOT, "%.1fM", bytes / 1048576.0);
    }

    private static String holders(List<Claim> existing) {
        return existing.isEmpty() ? "no enclave holds any"
                : existing.stream().map(c -> "enclave '" + c.name() + "' holds " + EnclaveLoader.ranges(c.cores()))
                        .collect(Collectors.joining(", "));
    }

    private static HpcvirtException refused(String message) {
        return new HpcvirtException(ErrorCode.REFUSED, message);
    }
}
