package org.hpcvirt.guest;

import java.time.Instant;

/**
 * {@code HB}: one heartbeat of the agent.
 *
 * @param seq        heartbeats generated since the agent started, from 1; a gap means heartbeats were
 *                   dropped (host disconnected or guest stalled)
 * @param uptimeMs   guest uptime
 * @param load       1-minute load average
 * @param counter    the memory-continuity counter (one per 10 ms tick of the agent's loop)
 * @param memOk      false once the agent found its 1 MiB pattern buffer or counter corrupted (sticky)
 * @param receivedAt when the host read the line
 */
public record Heartbeat(long seq, long uptimeMs, double load, long counter, boolean memOk, Instant receivedAt)
        implements GuestMessage {
}
