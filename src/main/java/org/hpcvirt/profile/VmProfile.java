package org.hpcvirt.profile;

import java.time.Duration;
import java.util.List;

/**
 * A validated VM profile: the virtual hardware, the virtualization solution ({@code backend})
 * and how the VM is watched. Instances are immutable and always valid; build them with
 * {@link ProfileLoader}. Switching the virtualization solution is changing {@link #backend()}
 * only.
 *
 * @param name              VM name: 1–40 chars of [a-z0-9-], starting with a letter
 * @param backend           backend identifier, e.g. {@code qemu} (TCG) or {@code kvm}
 * @param cpus              virtual CPUs, 1..host cores
 * @param memoryBytes       guest RAM in bytes, 32 MiB..host memory
 * @param disk              the virtio data disk mounted at /data, or {@code null} for none
 * @param network           network mode
 * @param image             golden image name (default {@code default})
 * @param heartbeatInterval how often the guest agent sends a heartbeat
 * @param heartbeatTimeout  no heartbeat for this long = guest hung; longer than 2 × the interval
 * @param pinning           host CPUs the QEMU process may run on (empty = no pinning)
 * @param kernelArgs        extra guest kernel command line (may be empty, never null)
 * @param ft                fault-tolerance settings, or {@code null}
 * @param partition         the host partition of an enclave (set by the enclave service, never
 *                          from a profile file), or {@code null} for an ordinary VM
 * @param privateNetwork    with {@link Network#PRIVATE}: the name of the node's private network the
 *                          VM attaches to ({@code org.hpcvirt.network}); otherwise {@code null}
 */
public record VmProfile(
        String name,
        String backend,
        int cpus,
        long memoryBytes,
        Disk disk,
        Network network,
        String image,
        Duration heartbeatInterval,
        Duration heartbeatTimeout,
        List<Integer> pinning,
        String kernelArgs,
        FtSettings ft,
        Partition partition,
        String privateNetwork) {

    /** An ordinary VM's profile, on no partition. */
    public VmProfile(String name, String backend, int cpus, long memoryBytes, Disk disk, Network network, String image,
            Duration heartbeatInterval, Duration heartbeatTimeout, List<Integer> pinning, String kernelArgs, FtSettings ft) {
        this(name, backend, cpus, memoryBytes, disk, network, image, heartbeatInterval, heartbeatTimeout, pinning, kernelArgs, ft,
                null, null);
    }

    /** A VM's profile on a partition (or none), attached to no private network. */
    public VmProfile(String name, String backend, int cpus, long memoryBytes, Disk disk, Network network, String image,
            Duration heartbeatInterval, Duration heartbeatTimeout, List<Integer> pinning, String kernelArgs, FtSettings ft,
            Partition partition) {
        this(name, backend, cpus, memoryBytes, disk, network, image, heartbeatInterval, heartbeatTimeout, pinning, kernelArgs, ft,
                partition, null);
    }

    public VmProfile {
        pinning = List.copyOf(pinning);
        kernelArgs = kernelArgs == null ? "" : kernelArgs;
    }

    /**
     * Network modes: no NIC; QEMU's user-mode network (outbound only, the guest is 10.0.2.15); or a
     * NIC on one of the node's private networks ({@link #privateNetwork()}), which joins the VMs of
     * one job across nodes.
     */
    public enum Network { NONE, USER, PRIVATE }

    /** @param sizeBytes virtual size of the data disk */
    public record Disk(long sizeBytes) {
    }

    /**
     * The profile's {@code ft:} section, interpreted by the {@code ft} package.
     *
     * @param policy   {@code reactive}, {@code proactive}, {@code hybrid} or {@code none}
     * @param period   checkpoint period text as written ({@code 10m}, {@code young}, {@code daly}, {@code optimal}), or null
     * @param jobClass administrator job class name, or null
     * @param extra    further keys passed through for policy merge (never null)
     */
    public record FtSettings(String policy, String period, String jobClass, java.util.Map<String, String> extra) {
        public FtSettings {
            extra = extra == null ? java.util.Map.of() : java.util.Map.copyOf(extra);
        }
    }

    public VmProfile withName(String newName) {
        return new VmProfile(newName, backend, cpus, memoryBytes, disk, network, image, heartbeatInterval,
                heartbeatTimeout, pinning, kernelArgs, ft, partition, privateNetwork);
    }

    public VmProfile withBackend(String newBackend) {
        return new VmProfile(name, newBackend, cpus, memoryBytes, disk, network, image, heartbeatInterval,
                heartbeatTimeout, pinning, kernelArgs, ft, partition, privateNetwork);
    }

    /** This profile on {@code p} (an enclave's partition), or on none with null. */
    public VmProfile withPartition(Partition p) {
        return new VmProfile(name, backend, cpus, memoryBytes, disk, network, image, heartbeatInterval,
                heartbeatTimeout, pinning, kernelArgs, ft, p, privateNetwork);
    }

    /**
     * Where an enclave's VM runs on the host and how its QEMU is configured, as decided by the
     * enclave service from the enclave file and its isolation level
     * ({@code org.hpcvirt.enclave.IsolationLevel}). The qemu backend applies it: QEMU starts inside
     * the cpuset cgroup, vCPU {@code i} is pinned to {@code cores.get(i)}, memory comes from one
     * memory backend (preallocated, optionally huge pages and locked), and each shared-memory link is
     * an {@code ivshmem-plain} device. Immutable.
     *
     * @param enclave       the enclave's name (also the VM's)
     * @param isolation     the isolation level's id ({@code strict}, {@code balanced}, {@code performance})
     * @param cores         the host cores, one per vCPU, in vCPU order
     * @param cgroupProcs   the {@code cgroup.procs} file QEMU writes itself into before it starts, or null
     * @param memPrealloc   allocate and touch all guest memory at start ({@code prealloc=on})
     * @param memLock       lock guest memory in host RAM ({@code -overcommit mem-lock=on})
     * @param hugePageBytes huge page size backing guest memory, 0 for ordinary pages
     * @param hugePagesAsked what the enclave asked for ({@code yes}, {@code no}, {@code required})
     * @param sandbox       run QEMU under its seccomp sandbox (no spawning, no privilege or scheduler changes)
     * @param links         shared-memory links to other enclaves (never null)
     */
    public record Partition(String enclave, String isolation, List<Integer> cores, String cgroupProcs, boolean memPrealloc,
            boolean memLock, long hugePageBytes, String hugePagesAsked, boolean sandbox, List<SharedMemory> links) {
        public Partition {
            cores = List.copyOf(cores);
            links = links == null ? List.of() : List.copyOf(links);
        }
    }

    /**
     * One shared-memory link as a guest device: a {@code memory-backend-file} with {@code share=on}
     * over {@code path} (in /dev/shm), shown to the guest as an {@code ivshmem-plain} PCI device.
     *
     * @param name      the link's name
     * @param peer      the enclave at the other end
     * @param path      the host file both enclaves map
     * @param sizeBytes its size, a power of two
     * @param onFailure what the daemon does to one end when the other fails: {@code isolate},
     *                  {@code freeze} or {@code cascade} (see {@code org.hpcvirt.enclave.LinkPolicy})
     */
    public record SharedMemory(String name, String peer, String path, long sizeBytes, String onFailure) {
    }
}
