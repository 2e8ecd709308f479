package org.hpcvirt.api;

import java.util.EnumSet;
import java.util.Set;

/**
 * Lifecycle states of a VM. Transitions are validated by {@link #canMoveTo(VmState)}; every
 * accepted transition is recorded as a {@link VmEvent}.
 *
 * <pre>
 * DEFINED → STARTING → RUNNING ⇄ PAUSED
 *                       RUNNING/PAUSED → STOPPING → STOPPED → STARTING …
 *           STARTING/RUNNING/PAUSED → PANICKED (guest kernel panic, QEMU kept for inspection)
 *           STARTING/RUNNING/PAUSED/STOPPING/PANICKED → CRASHED (QEMU exited unexpectedly)
 *           RUNNING → HUNG (heartbeat lost) → RUNNING (heartbeats came back)
 *           any state but DESTROYED → DESTROYED
 * </pre>
 */
public enum VmState {
    DEFINED, STARTING, RUNNING, PAUSED, HUNG, PANICKED, STOPPING, STOPPED, CRASHED, SUSPENDED, MIGRATING, DESTROYED;

    /** States in which a QEMU process is expected to exist. */
    public static final Set<VmState> ACTIVE = EnumSet.of(STARTING, RUNNING, PAUSED, HUNG, PANICKED, STOPPING, MIGRATING);

    public boolean isActive() {
        return ACTIVE.contains(this);
    }

    public boolean canMoveTo(VmState next) {
        if (next == DESTROYED) {
            return this != DESTROYED;
        }
        return switch (this) {
            case DEFINED, STOPPED, CRASHED -> next == STARTING;
            case SUSPENDED -> next == STARTING || next == STOPPED;
            case STARTING -> EnumSet.of(RUNNING, PANICKED, CRASHED, STOPPING, STOPPED).contains(next);
            case RUNNING -> EnumSet.of(PAUSED, HUNG, PANICKED, CRASHED, STOPPING, STOPPED, SUSPENDED, MIGRATING).contains(next);
            case PAUSED -> EnumSet.of(RUNNING, PANICKED, CRASHED, STOPPING, STOPPED, SUSPENDED, MIGRATING).contains(next);
            case HUNG -> EnumSet.of(RUNNING, PAUSED, PANICKED, CRASHED, STOPPING, STOPPED).contains(next);
            case PANICKED -> EnumSet.of(CRASHED, STOPPING, STOPPED).contains(next);
            case STOPPING -> EnumSet.of(STOPPED, CRASHED).contains(next);
            case MIGRATING -> EnumSet.of(RUNNING, PAUSED, STOPPED, CRASHED).contains(next);
            case DESTROYED -> false;
        };
    }
}
