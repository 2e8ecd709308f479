package org.hpcvirt.backend;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/**
 * One backend's row of the capability matrix: for every {@link Capability}, present or absent with
 * a one-line reason. Immutable and thread-safe. Built with {@link #all()}, {@link #none(String)} or
 * {@link #without(Capability, String)}; every absent capability has a non-blank reason.
 */
public final class Capabilities {
    private final Map<Capability, String> absent;

    private Capabilities(EnumMap<Capability, String> absent) {
        this.absent = Collections.unmodifiableMap(new EnumMap<>(absent));
    }

    /** Every capability present. */
    public static Capabilities all() {
        return new Capabilities(new EnumMap<>(Capability.class));
    }

    /** Every capability absent for one reason (typically the probe's, when the backend cannot run here). */
    public static Capabilities none(String reason) {
        EnumMap<Capability, String> m = new EnumMap<>(Capability.class);
        for (Capability c : Capability.values()) {
            m.put(c, requireReason(reason));
        }
        return new Capabilities(m);
    }

    /** This row with {@code capability} absent for {@code reason} (replacing an earlier reason). */
    public Capabilities without(Capability capability, String reason) {
        EnumMap<Capability, String> m = new EnumMap<>(Capability.class);
        m.putAll(absent);
        m.put(Objects.requireNonNull(capability), requireReason(reason));
        return new Capabilities(m);
    }

    private static String requireReason(String reason) {
        if (reason == null || reason.isBlank()) {
            throw new IllegalArgumentException("an absent capability needs a reason");
        }
        return reason.strip();
    }

    /** True if the backend has {@code capability}. */
    public boolean has(Capability capability) {
        return !absent.containsKey(capability);
    }

    /** Why {@code capability} is absent; empty if it is present. */
    public Optional<String> reasonAbsent(Capability capability) {
        return Optional.ofNullable(absent.get(capability));
    }

    /**
     * Refuses what needs {@code capability} when the backend lacks it: REFUSED, naming the backend,
     * the capability and the reason ("backend 'container' has no kernel faults: …").
     */
    public void require(Capability capability, String backend, String forWhat) {
        String why = absent.get(capability);
        if (why != null) {
            throw new HpcvirtException(ErrorCode.REFUSED, forWhat + ": backend '" + backend + "' has no " + capability.label()
                    + " (" + why + ")");
        }
    }

    /**
     * One cell of the matrix, as JSON shows it.
     *
     * @param capability the capability's label ("memory access")
     * @param available  whether the backend has it
     * @param reason     why not, or null when available
     */
    public record Cell(String capability, boolean available, String reason) {
    }

    /** The row's cells in {@link Capability} order. */
    public List<Cell> cells() {
        List<Cell> out = new ArrayList<>();
        for (Capability c : Capability.values()) {
            out.add(new Cell(c.label(), has(c), absent.get(c)));
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Capabilities c && c.absent.equals(absent);
    }

    @Override
    public int hashCode() {
        return absent.hashCode();
    }

    @Override
    public String toString() {
        return "Capabilities" + cells();
    }
}
