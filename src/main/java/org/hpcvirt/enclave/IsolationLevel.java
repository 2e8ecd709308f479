package org.hpcvirt.enclave;

import java.util.Arrays;
import java.util.stream.Collectors;
import org.hpcvirt.api.HpcvirtException;

/**
 * Where a VM sits on the isolation–performance continuum. Stronger isolation keeps a guest-kernel
 * fault inside the guest; relaxing it for performance (devices mapped into the guest, memory shared
 * between guests, a kernel shared with the host) lets such a fault reach further.
 */
public enum IsolationLevel {
    /** Fully virtualized devices, no memory shared with other guests or the host. */
    STRICT("fully emulated/paravirtual devices, no shared memory"),
    /** Paravirtual fast paths in the host kernel (vhost), huge pages; still no device mapped into the guest. */
    BALANCED("paravirtual fast paths in the host kernel (vhost), huge pages"),
    /** Devices passed through into the guest (VFIO), memory shared between guests; or a kernel shared with the host. */
    PERFORMANCE("devices mapped into the guest (VFIO), shared memory between guests");

    private final String meaning;

    IsolationLevel(String meaning) {
        this.meaning = meaning;
    }

    /** The lower-case name used in campaign files and on the command line. */
    public String id() {
        return name().toLowerCase();
    }

    /** What the level means for a VM, in a few words. */
    public String meaning() {
        return meaning;
    }

    /**
     * The level named {@code text} ({@code strict}, {@code balanced}, {@code performance}).
     *
     * @throws HpcvirtException INVALID_INPUT naming the known levels
     */
    public static IsolationLevel parse(String text) {
        for (IsolationLevel l : values()) {
            if (l.id().equals(text)) {
                return l;
            }
        }
        throw HpcvirtException.invalid("unknown isolation level '" + text + "' (known: "
                + Arrays.stream(values()).map(IsolationLevel::id).collect(Collectors.joining(", ")) + ")");
    }

    /**
     * The real configuration choices this level makes for an enclave: which QEMU options and
     * cgroup settings it gets. The same table is in docs/enclaves.md; {@code IsolationLevelTest}
     * holds it.
     */
    public Choices choices() {
        return switch (this) {
            case STRICT -> new Choices(true, false, true, true, HugePages.NO,
                    "virtio-pci devices emulated in QEMU user space, QEMU under its seccomp sandbox; no shared-memory device");
            case BALANCED -> new Choices(true, false, false, true, HugePages.YES,
                    "virtio-pci devices emulated in QEMU user space, QEMU under its seccomp sandbox; no shared-memory device");
            case PERFORMANCE -> new Choices(false, true, false, false, HugePages.YES,
                    "virtio-pci devices plus ivshmem-plain shared-memory devices; no seccomp sandbox");
        };
    }

    /**
     * What an isolation level decides for an enclave.
     *
     * @param exclusiveCpuset     ask the kernel to keep the enclave's cores out of every sibling
     *                            cpuset ({@code cpuset.cpu_exclusive=1}) — where the parent cgroup
     *                            allows it; otherwise the cores are dedicated by admission only
     * @param sharedMemoryAllowed shared-memory links to other enclaves may be declared
     * @param memLock             guest memory is locked in host RAM ({@code -overcommit mem-lock=on})
     * @param sandbox             QEMU runs under {@code -sandbox on} with spawning, privilege and
     *                            scheduler changes denied
     * @param hugePages           the huge page setting when the enclave file says none
     * @param deviceModel         the guest's device model in words
     */
    public record Choices(boolean exclusiveCpuset, boolean sharedMemoryAllowed, boolean memLock, boolean sandbox,
            HugePages hugePages, String deviceModel) {
    }
}
