package org.hpcvirt.guest;

import java.time.Instant;

/**
 * {@code HELLO}: sent by the agent when it starts and whenever the host (re)connects.
 *
 * @param protocolVersion   protocol version (1)
 * @param agentVersion      the agent's version string
 * @param bootId            the guest kernel's boot id (a UUID); a new value means the guest rebooted
 * @param heartbeatIntervalMs the agent's heartbeat interval
 * @param receivedAt        when the host read the line
 */
public record Hello(int protocolVersion, String agentVersion, String bootId, long heartbeatIntervalMs,
                    Instant receivedAt) implements GuestMessage {
}
