package org.hpcvirt.inject;

/** How far the failure caused by a fault spreads. */
public enum Effect {
    /** Only the victim fails (one process or one VM). */
    LIMITED,
    /** The spread depends on policy and configuration (shared devices or memory may carry it further). */
    VARIED,
    /** The whole node fails. */
    GLOBAL;

    /** Lower-case name for reports. */
    public String id() {
        return name().toLowerCase();
    }
}
