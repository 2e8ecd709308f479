package org.hpcvirt.backend;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/** The backends known to this node, by name. Immutable after construction; thread-safe. */
public final class BackendRegistry {
    private final Map<String, Backend> backends = new LinkedHashMap<>();

    public BackendRegistry(List<Backend> list) {
        for (Backend b : list) {
            backends.put(b.name(), b);
        }
    }

    /**
     * One backend and its probe result, as {@code hpcvirt backends} and {@code GET /v1/backends} show it.
     *
     * @param name        identifier used in profiles
     * @param description one line describing the solution
     * @param usable      whether guests can be launched here
     * @param reason      why not (or "ok")
     * @param version     version of the underlying solution, or ""
     * @param capabilities its row of the capability matrix ({@link Backend#capabilities()}), one cell per
     *                    {@link Capability} in declaration order
     */
    public record Described(String name, String description, boolean usable, String reason, String version,
                            List<Capabilities.Cell> capabilities) {
    }

    /** Every backend with its probe result (probing each, which may take seconds the first time). */
    public List<Described> describe() {
        List<Described> out = new ArrayList<>();
        for (Backend b : backends.values()) {
            ProbeResult p = b.probe();
            out.add(new Described(b.name(), b.description(), p.usable(), p.reason(), p.version(), b.capabilities().cells()));
        }
        return out;
    }

    public List<Backend> all() {
        return new ArrayList<>(backends.values());
    }

    /** The named backend; INVALID_INPUT naming the known ones if there is none. */
    public Backend get(String name) {
        Backend b = backends.get(name);
        if (b == null) {
            throw new HpcvirtException(ErrorCode.INVALID_INPUT,
                    "unknown backend '" + name + "' (known: " + String.join(", ", backends.keySet()) + ")");
        }
        return b;
    }

    /** The named backend if its probe passes; BACKEND_UNAVAILABLE with the probe's reason otherwise. */
    public Backend usable(String name) {
        Backend b = get(name);
        ProbeResult p = b.probe();
        if (!p.usable()) {
            throw new HpcvirtException(ErrorCode.BACKEND_UNAVAILABLE, "backend '" + name + "' cannot run here: " + p.reason());
        }
        return b;
    }

    /**
     * Refuses a profile that asks its backend for something the backend lacks (today: a data disk
     * on a backend without {@link Capability#DATA_DISK}), before anything is created or started.
     *
     * @throws HpcvirtException REFUSED naming the backend, the capability and the backend's reason;
     *         INVALID_INPUT if the backend is unknown
     */
    public void requireSupported(org.hpcvirt.profile.VmProfile profile) {
        Backend b = get(profile.backend());
        if (profile.disk() != null) {
            b.capabilities().require(Capability.DATA_DISK, b.name(), "profile '" + profile.name() + "' asks for a data disk");
        }
    }

    /**
     * The memory access ({@link MemoryAccess}) of an instance that another process holds, through
     * its backend's {@link MemoryAccess.Provider} (found by {@link InstanceRecord#backend()}); empty
     * if that backend has none. Nothing is connected until the caller opens a session.
     *
     * @throws HpcvirtException INVALID_INPUT if the record names an unknown backend
     */
    public Optional<MemoryAccess> memoryAccessOf(InstanceRecord record) {
        return get(record.backend()).capability(MemoryAccess.Provider.class).map(p -> p.of(record));
    }

    /**
     * The refusal of an operation that needs a capability the named backend lacks: REFUSED,
     * "WHAT: backend 'B' has no C (REASON)", with the backend's own reason from its
     * {@link Backend#capabilities()} row (the same words as {@link Capabilities#require}). Thrown by
     * callers before anything starts.
     *
     * @param capability the SPI interface the operation needs (e.g. {@code Migratable})
     * @param what       what the user asked for, e.g. "migrating 'm1'"
     */
    public HpcvirtException lacking(String backendName, Class<?> capability, String what) {
        Capability cap = Capability.of(capability);
        String why = !backends.containsKey(backendName) ? "unknown backend"
                : backends.get(backendName).capabilities().reasonAbsent(cap).orElse("not offered by this backend");
        return new HpcvirtException(ErrorCode.REFUSED, what + ": backend '" + backendName + "' has no " + cap.label() + " (" + why + ")");
    }

    /** True if the named backend's row of the capability matrix has the capability {@code capability} stands for. */
    public boolean has(String backendName, Class<?> capability) {
        return get(backendName).capabilities().has(Capability.of(capability));
    }
}
