package org.hpcvirt.vm;

import java.util.concurrent.CompletableFuture;
import org.hpcvirt.api.VmState;
import org.hpcvirt.backend.Instance;
import org.hpcvirt.guest.GuestChannel;
import org.hpcvirt.guest.Heartbeat;
import org.hpcvirt.profile.VmProfile;
import org.hpcvirt.vm.store.VmRecord;

/**
 * One VM of the node as the control plane holds it: its persisted record and, while a VMM process
 * exists, the backend instance, the guest channel and the latest heartbeat. A request that changes
 * a VM checks its precondition and makes its transitions holding the VM's monitor
 * ({@code synchronized (vm)}), so requests on one VM are serialised and requests on different VMs
 * run in parallel. Waits that can be long happen outside it (a stop waiting for the guest to power
 * off, a background flatten, exec through the guest channel); state read without the monitor is
 * volatile, because the channel's and the watch's threads write it. Created and owned by
 * the {@link VmRegistry}; never closed by callers.
 */
public final class ManagedVm {
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
    volatile CompletableFuture<VmState> started = new CompletableFuture<>();
    /** Completed when the current VMM process has exited. */
    volatile CompletableFuture<Void> exited = new CompletableFuture<>();
    /** A HUNG check of this VM waits for its monitor (see {@link InstanceWatch}). */
    final java.util.concurrent.atomic.AtomicBoolean hangCheckQueued = new java.util.concurrent.atomic.AtomicBoolean();
    /** Counts instances so that late events of an old VMM process are ignored. */
    volatile long generation;

    ManagedVm(VmRecord record) {
        this.record = record;
    }

    public String name() {
        return record.name();
    }

    /** The user this VM belongs to. */
    public String owner() {
        return record.owner();
    }

    public VmState state() {
        return record.state();
    }

    public VmProfile profile() {
        return record.profile();
    }

    /** The current backend instance, or null when no VMM process runs. */
    public Instance instance() {
        return instance;
    }

    /** The guest channel, or null while the agent is not connected. */
    public GuestChannel channel() {
        return channel;
    }

    /** The latest heartbeat of the current guest, or null. */
    public Heartbeat lastHeartbeat() {
        return lastHeartbeat;
    }

    /** Completed with the state that follows STARTING; replaced at every start. */
    public CompletableFuture<VmState> started() {
        return started;
    }

    /** Counts heartbeat silence from now (the guest was just resumed). */
    public void markResumed() {
        baselineNanos = System.nanoTime();
    }

    /** Instance generation: changes whenever the VMM process is replaced or released. */
    public long generation() {
        return generation;
    }
}
