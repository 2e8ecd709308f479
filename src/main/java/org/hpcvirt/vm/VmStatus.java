package org.hpcvirt.vm;

import java.time.Instant;
import org.hpcvirt.api.VmState;

/**
 * A snapshot of one VM for {@code status} and {@code list}.
 *
 * @param name               VM name
 * @param owner              the user it belongs to
 * @param state              lifecycle state
 * @param backend            backend name
 * @param cpus               vCPUs
 * @param memoryBytes        RAM
 * @param pid                QEMU pid or 0
 * @param lastHeartbeatSeq   sequence of the last heartbeat, or -1
 * @param lastHeartbeatAgeMs milliseconds since it arrived, or -1
 * @param guestUptimeMs      guest uptime in the last heartbeat, or -1
 * @param guestLoad          guest 1-min load in the last heartbeat, or -1
 * @param garbageLines       malformed or dropped lines from the guest since attach
 * @param updated            last state change
 */
public record VmStatus(String name, String owner, VmState state, String backend, int cpus, long memoryBytes, long pid,
        long lastHeartbeatSeq, long lastHeartbeatAgeMs, long guestUptimeMs, double guestLoad, long garbageLines,
        Instant updated) {
}
