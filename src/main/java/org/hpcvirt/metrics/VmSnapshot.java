package org.hpcvirt.metrics;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.hpcvirt.api.VmState;

/**
 * What the collector thread saw of the node's VMs at one moment; immutable. Scrapes render the
 * latest one.
 *
 * @param takenNanos      {@link System#nanoTime()} when it was taken
 * @param durationSeconds how long taking it took
 * @param byState         VMs per state, every state present (0 when none)
 * @param vms             one sample per VM, by name
 */
public record VmSnapshot(long takenNanos, double durationSeconds, Map<VmState, Integer> byState, List<Vm> vms) {

    public VmSnapshot {
        EnumMap<VmState, Integer> all = new EnumMap<>(VmState.class);
        for (VmState s : VmState.values()) {
            all.put(s, byState.getOrDefault(s, 0));
        }
        byState = java.util.Collections.unmodifiableMap(all);
        vms = List.copyOf(vms);
    }

    /** Seconds since the snapshot was taken. */
    public double ageSeconds() {
        return (System.nanoTime() - takenNanos) / 1e9;
    }

    /** The sample of {@code name}, or null. */
    public Vm vm(String name) {
        return vms.stream().filter(v -> v.name().equals(name)).findFirst().orElse(null);
    }

    /**
     * One VM at the moment of the snapshot.
     *
     * @param name                   VM name
     * @param state                  lifecycle state
     * @param backend                backend name
     * @param cpus                   vCPUs
     * @param memoryBytes            guest RAM
     * @param heartbeatSeq           sequence number of the last heartbeat, or -1 before the first (or without a VMM process)
     * @param heartbeatAgeSeconds    seconds since the last heartbeat arrived, or NaN before the first (or without a VMM process)
     * @param garbageLines           malformed or dropped lines from the guest since the channel attached
     * @param checkpointAgeSeconds   seconds since its last checkpoint was taken, or NaN if none is known
     */
    public record Vm(String name, String owner, VmState state, String backend, int cpus, long memoryBytes, long heartbeatSeq,
            double heartbeatAgeSeconds, long garbageLines, double checkpointAgeSeconds) {
    }
}
