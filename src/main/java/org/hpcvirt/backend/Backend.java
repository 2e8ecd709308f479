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
     * The optional capabilities this backend lacks, each with the reason a user is told (capability
     * interface's simple name, e.g. {@code Migratable}, to a one-line reason). Empty by default;
     * a backend lists here what {@link #capability} or {@link Instance#capability} never return,
     * so that {@code hpcvirt backends} can show it and a refusal can say why.
     */
    default java.util.Map<String, String> lacking() {
        return java.util.Map.of();
    }

    /**
     * The reason this backend lacks {@code capability}, for a refusal message: the entry of
     * {@link #lacking()} or, without one, "not implemented by this backend".
     */
    default String whyLacking(Class<?> capability) {
        return lacking().getOrDefault(capability.getSimpleName(), "not implemented by this backend");
    }
}
