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
}
