package org.hpcvirt.enclave;

import java.util.List;
import org.hpcvirt.profile.VmProfile;

/**
 * A validated enclave file: a named partition of the node and the VM that runs in it. Built by
 * {@link EnclaveLoader}; immutable. The cores are not yet admitted: {@link Admission} decides them.
 *
 * @param name       the enclave's name, which is also its VM's name
 * @param cores      the host cores asked for by number, or empty when only {@code coreCount} is given
 * @param coreCount  how many cores (and vCPUs): {@code cores.size()} when they are listed
 * @param memoryBytes guest memory
 * @param hugePages  the huge page setting (the isolation level's default when the file gives none)
 * @param isolation  the isolation level
 * @param profile    the VM's profile: the file's {@code vm:} shape with the enclave's name, vCPUs,
 *                   memory, image and kernel arguments; no partition yet
 * @param links      the shared-memory links it declares (only where its level allows them)
 */
public record EnclaveSpec(String name, List<Integer> cores, int coreCount, long memoryBytes, HugePages hugePages,
        IsolationLevel isolation, VmProfile profile, List<Link> links) {
    public EnclaveSpec {
        cores = List.copyOf(cores);
        links = links == null ? List.of() : List.copyOf(links);
    }

    /**
     * A declared shared-memory link; both enclaves declare it, each naming the other.
     *
     * @param name      the link's name (also names its segment in /dev/shm)
     * @param peer      the enclave at the other end
     * @param sizeBytes the segment's size: a power of two from 4 KiB to 1 GiB
     * @param onFailure what the daemon does to one end when the other fails (both ends agree)
     */
    public record Link(String name, String peer, long sizeBytes, LinkPolicy onFailure) {
    }
}
