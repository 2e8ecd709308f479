package org.hpcvirt.backend;

import java.util.Optional;

/**
 * One virtualization solution (QEMU/TCG, KVM, …): turns a {@link LaunchSpec} into a running
 * {@link Instance}, and re-attaches to one after a daemon restart. Implementations are stateless
 * apart from a cached probe result and are safe to use from several threads. Backends are
 * registered by name in a {@link BackendRegistry} ({@link Backends#defaults()} is a node's).
 */
public interface Backend {
    /** Identifier used in profiles ({@code backend: qemu}). */
    String name();

    /** One line describing the solution, e.g. "QEMU full-system emulation (TCG)". */
    String description();

    /**
     * Whether this backend can run guests on this host, and why not. May take a few seconds the
     * first time (the kvm probe does a bounded test boot); the result is cached.
     */
    ProbeResult probe();

    /**
     * Starts a new instance. Precondition: {@code probe().usable()}. The returned instance is
     * running (or paused waiting for incoming state when the spec asks for it) and its control
     * connection is open. The caller owns the instance and must {@link Instance#close()} it
     * (which closes connections but leaves the process running) or {@link Instance#kill()} it.
     *
     * @throws org.hpcvirt.api.HpcvirtException BACKEND_UNAVAILABLE if the probe fails,
     *         OPERATION_FAILED if the process does not come up
     */
    Instance launch(LaunchSpec spec);

    /**
     * Re-attaches to an instance started earlier (possibly by another daemon process), using the
     * record persisted at launch. The caller owns the returned instance as with {@link #launch}.
     * Fails with NOT_FOUND if the process is gone or is not the one recorded (pid reuse is
     * detected through the process start time).
     */
    Instance attach(InstanceRecord record);

    /**
     * An optional capability of the backend itself (not of one instance), looked up by its
     * interface: {@link IncomingLaunch}, {@link MemoryAccess.Provider}. Empty if the backend lacks
     * it, which is the default. Capabilities are separate objects, thread-safe like the backend.
     */
    default <T> Optional<T> capability(Class<T> type) {
        return Optional.empty();
    }

    /**
     * This backend's row of the capability matrix: what its instances can do here, and why not for
     * each thing they cannot. A capability marked present must really be there
     * ({@code BackendContractIT} uses each present one through {@link Instance#capability} and the
     * backend's own {@link #capability}); the daemon refuses what needs an absent one before
     * anything starts, quoting the reason. May probe (see {@link #probe()}); the answer is stable
     * for the life of the backend object.
     *
     * <p>The default suits a backend that declares nothing more: if the probe fails, every
     * capability is absent with the probe's reason; otherwise only {@link Capability#LIFECYCLE} is
     * present and every other capability is absent as "not declared". Backends override it.
     */
    default Capabilities capabilities() {
        ProbeResult p = probe();
        if (!p.usable()) {
            return Capabilities.none(p.reason());
        }
        Capabilities c = Capabilities.all();
        for (Capability cap : Capability.values()) {
            if (cap != Capability.LIFECYCLE) {
                c = c.without(cap, "not declared by backend '" + name() + "'");
            }
        }
        return c;
    }
}
