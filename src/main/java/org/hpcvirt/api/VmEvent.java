package org.hpcvirt.api;

import java.time.Instant;
import java.util.Map;

/**
 * Something that happened to a VM or the node: a state change or a detection. Events are
 * persisted, streamed over SSE and printed by {@code hpcvirt events}.
 *
 * @param seq    daemon-wide increasing number, assigned when persisted (0 before)
 * @param time   when it happened
 * @param vm     VM name, or {@code null} for node-wide events
 * @param type   what happened
 * @param state  the VM's state after the event, or {@code null}
 * @param message one human-readable line
 * @param data   extra machine-readable facts (never null)
 */
public record VmEvent(long seq, Instant time, String vm, Type type, VmState state, String message, Map<String, Object> data) {

    /** Kinds of events. */
    public enum Type {
        DEFINED, STATE_CHANGED, HEARTBEAT_LOST, HEARTBEAT_RESUMED, GUEST_PANICKED, QEMU_EXITED,
        GUEST_SHUTDOWN, ATTACHED, DESTROYED, DAEMON_STARTED, DAEMON_STOPPING, GUEST_GARBAGE,
        CHECKPOINT, RESTORED, MIGRATION, FT_DECISION, INJECTION, ERROR
    }

    public VmEvent {
        data = data == null ? Map.of() : Map.copyOf(data);
    }

    public static VmEvent of(String vm, Type type, VmState state, String message) {
        return new VmEvent(0, Instant.now(), vm, type, state, message, Map.of());
    }

    public static VmEvent of(String vm, Type type, VmState state, String message, Map<String, Object> data) {
        return new VmEvent(0, Instant.now(), vm, type, state, message, data);
    }

    public VmEvent withSeq(long s) {
        return new VmEvent(s, time, vm, type, state, message, data);
    }
}
