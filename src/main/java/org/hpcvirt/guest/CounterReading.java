package org.hpcvirt.guest;

/**
 * The agent's memory-continuity counter, read on request by {@link GuestChannel#counter}.
 *
 * @param value         the counter (one per 10 ms tick since the agent started)
 * @param lastHeartbeatSeq seq of the last heartbeat the agent generated
 * @param bootId        the guest's boot id
 */
public record CounterReading(long value, long lastHeartbeatSeq, String bootId) {
}
