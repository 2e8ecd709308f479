package org.hpcvirt.backend;

import java.nio.file.Path;
import java.util.Optional;

/**
 * A running guest of some backend, with an open control connection. Methods may be called from
 * any thread. Listeners are called on the backend's reader thread and must not block.
 * {@link #close()} releases connections and threads but leaves the guest running so that a
 * later daemon can attach; {@link #kill()} ends the guest.
 */
public interface Instance extends AutoCloseable {
    /** The backend-independent facts needed to attach again later. */
    InstanceRecord record();

    long pid();

    /** True while the process exists. */
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

    /** An optional capability, e.g. {@code capability(Pausable.class)}. */
    <T> Optional<T> capability(Class<T> type);

    /** Closes connections and threads; the guest keeps running. Idempotent. */
    @Override
    void close();
}
