package org.hpcvirt.backend;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/**
 * What every {@link Instance} backed by one host process shares: its {@link InstanceRecord}, the
 * pid and liveness checks against it (start time as the guard against pid reuse), and the fan-out
 * of events to listeners, where one faulty listener does not hide an event from the others.
 * Backends extend it for their instances; thread-safe as {@link Instance} requires.
 */
public abstract class ProcessInstance implements Instance {
    /** What was recorded at launch; the pid and start time identify the process. */
    protected final InstanceRecord record;
    private final List<InstanceListener> listeners = new CopyOnWriteArrayList<>();

    protected ProcessInstance(InstanceRecord record) {
        this.record = record;
    }

    /** Hands an event to every listener, in the order they were added; a listener's exception is dropped. */
    protected final void fire(InstanceListener.Kind kind, String name, Map<String, Object> data) {
        for (InstanceListener l : listeners) {
            try {
                l.onEvent(kind, name, data);
            } catch (RuntimeException e) {
                // one faulty listener must not hide events from the others
            }
        }
    }

    @Override
    public final InstanceRecord record() {
        return record;
    }

    @Override
    public final long pid() {
        return record.pid();
    }

    @Override
    public boolean isAlive() {
        return ProcessInfo.isAlive(record.pid(), record.startTicks());
    }

    /**
     * After the process was sent its end: returns once it is gone, true; false if the thread was
     * interrupted while waiting.
     *
     * @param survived the message if it still runs after 10 s
     * @throws HpcvirtException OPERATION_FAILED with {@code survived} if it still runs after 10 s
     */
    protected final boolean awaitGone(String survived) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (isAlive()) {
            if (System.nanoTime() > deadline) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, survived);
            }
            if (!pauseWhileAlive()) {
                return false;
            }
        }
        return true;
    }

    /** One wait of {@link #awaitGone}: 20 ms by default; false to stop waiting (the thread was interrupted). */
    protected boolean pauseWhileAlive() {
        LockSupport.parkNanos(20_000_000L);
        return true;
    }

    @Override
    public final void addListener(InstanceListener listener) {
        listeners.add(listener);
    }
}
