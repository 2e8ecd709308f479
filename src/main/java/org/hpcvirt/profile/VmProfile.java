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
        FtSettings ft) {

    public VmProfile {
        pinning = List.copyOf(pinning);
        kernelArgs = kernelArgs == null ? "" : kernelArgs;
    }

    /** Network modes. */
    public enum Network { NONE, USER }

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
                heartbeatTimeout, pinning, kernelArgs, ft);
    }

    public VmProfile withBackend(String newBackend) {
        return new VmProfile(name, newBackend, cpus, memoryBytes, disk, network, image, heartbeatInterval,
                heartbeatTimeout, pinning, kernelArgs, ft);
    }
}
