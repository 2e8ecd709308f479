package org.hpcvirt.backend;

import java.nio.file.Path;
import java.util.Optional;

/**
 * A running guest of some backend (a VMM process: QEMU today), with an open control connection to
 * it. Obtained from {@link Backend#launch} (or {@link IncomingLaunch#launchIncoming}) or
 * {@link Backend#attach}; whoever obtained it owns it and ends it with exactly one of
 * {@link #close()} (release connections and threads, the guest keeps running so that a later daemon
 * can attach) or {@link #kill()} followed by {@link #close()}.
 *
 * <p>Threading: every method may be called from any thread; an implementation serializes what it
 * must. Listeners are called on the backend's own event thread and must not block. Capabilities
 * ({@link #capability}) are separate objects with their own threading rules (most allow one
 * operation at a time per instance).
 */
public interface Instance extends AutoCloseable {
    /** The backend-independent facts needed to attach again later. */
    InstanceRecord record();

    /** Pid of the VMM process on this host. */
    long pid();

    /** True while the process exists (and is the one recorded: pid reuse is detected). */
    boolean isAlive();

    /** Unix socket of the guest agent channel (the daemon connects to it as a client). */
    Path guestChannelSocket();

    /** File receiving the guest's serial console. */
    Path consoleLog();

    /**
     * What the guest is doing as the VMM sees it now (asks the VMM; may take as long as one control
     * request). Never throws: {@link RunState#EXITED} if the process is gone,
     * {@link RunState#UNKNOWN} if the VMM did not answer or reported a status this version does not
     * know.
     */
    RunState runState();

    /** Asks the guest to power off through the VMM (ACPI); returns at once. */
    void powerdown();

    /** Ends the guest process now (SIGKILL) and waits for it to be gone. Idempotent. */
    void kill();

    /** Registers a listener for VMM-side events (panic, shutdown, exit, stop, resume). */
    void addListener(InstanceListener listener);

    /**
     * An optional capability of this instance, looked up by its interface: {@link Pausable},
     * {@link Checkpointable}, {@link DiskSnapshots}, {@link Migratable}, {@link MemoryAccess}.
     * Empty if the backend lacks it (callers say so to the user; they never assume it). The same
     * object is returned for the life of the instance; it is a separate object, not the instance
     * itself, and stops working once the instance is closed.
     */
    <T> Optional<T> capability(Class<T> type);

    /** Closes connections and threads; the guest keeps running. Idempotent. */
    @Override
    void close();
}
