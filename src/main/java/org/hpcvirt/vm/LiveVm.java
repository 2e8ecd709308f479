package org.hpcvirt.vm;

import java.util.concurrent.CompletableFuture;
import org.hpcvirt.backend.Instance;
import org.hpcvirt.guest.GuestChannel;
import org.hpcvirt.guest.Heartbeat;
import org.hpcvirt.vm.store.VmRecord;

/**
 * In-memory side of one VM: its record and, while a QEMU exists, the instance, the guest channel
 * and the latest heartbeat. Guarded by its own monitor ({@code synchronized (liveVm)}) for state
 * transitions; heartbeat fields are volatile because the channel thread writes them.
 */
final class LiveVm {
    volatile VmRecord record;
    volatile Instance instance;
    volatile GuestChannel channel;
    volatile Heartbeat lastHeartbeat;
    volatile long lastHeartbeatNanos;
    /** Heartbeat age is counted from here at the earliest (start, resume, attach). */
    volatile long baselineNanos = System.nanoTime();
    volatile boolean guestShutdown;
    volatile boolean bootTimeoutReported;
    /** Completed with the state after STARTING (RUNNING, PANICKED, CRASHED, …). */
    volatile CompletableFuture<org.hpcvirt.api.VmState> started = new CompletableFuture<>();
    /** Completed when the current QEMU has exited. */
    volatile CompletableFuture<Void> exited = new CompletableFuture<>();
    /**
     * Size and SHA-256 of the frozen disk layers this VM's disk sits on, by store-relative path, as
     * recorded when they were frozen (its latest checkpoint, or the one it was restored from).
     * Frozen layers never change, so a new checkpoint copies these instead of reading them again.
     * Guarded by the VM's monitor.
     */
    java.util.Map<String, org.hpcvirt.checkpoint.CheckpointManifest.FileEntry> knownLayers = java.util.Map.of();
    /** Counts instances so that late events of an old QEMU are ignored. */
    volatile long generation;

    LiveVm(VmRecord record) {
        this.record = record;
    }

    String name() {
        return record.name();
    }
}
