package org.hpcvirt.inject;

/**
 * The four error zones of a virtualized node: where a fault starts. Which components fail as a
 * result is its {@link Effect}.
 */
public enum ErrorZone {
    /** E-Zone 1: the host kernel (and the hypervisor parts inside it). */
    HOST_KERNEL(1, "host kernel", Effect.GLOBAL),
    /** E-Zone 2: host user space, where the VMM process (QEMU) runs. */
    HOST_USER(2, "host user (VMM process)", Effect.LIMITED),
    /** E-Zone 3: the guest kernel; its effect depends on the backend and the isolation level. */
    GUEST_KERNEL(3, "guest kernel", null),
    /** E-Zone 4: guest user space (the application). */
    GUEST_USER(4, "guest user", Effect.LIMITED);

    private final int number;
    private final String place;
    private final Effect fixedEffect;

    ErrorZone(int number, String place, Effect fixedEffect) {
        this.number = number;
        this.place = place;
        this.fixedEffect = fixedEffect;
    }

    /** 1..4. */
    public int number() {
        return number;
    }

    /** "E-Zone 3". */
    public String label() {
        return "E-Zone " + number;
    }

    /** Where the fault starts, e.g. "guest kernel". */
    public String place() {
        return place;
    }

    /** The effect every backend shares for this zone, or null for E-Zone 3 (see {@link ZoneModel}). */
    public Effect fixedEffect() {
        return fixedEffect;
    }
}
