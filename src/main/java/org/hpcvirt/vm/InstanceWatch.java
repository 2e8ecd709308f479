package org.hpcvirt.vm;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.hpcvirt.api.DaemonThreads;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.VmEvent;
import org.hpcvirt.api.VmState;
import org.hpcvirt.backend.Instance;
import org.hpcvirt.backend.InstanceListener;
import org.hpcvirt.backend.Pausable;
import org.hpcvirt.backend.RunState;
import org.hpcvirt.guest.GuestChannel;
import org.hpcvirt.guest.Heartbeat;

/**
 * Keeps every VM under watch: owns the binding of a VM to its backend instance ({@link #adopt},
 * {@link #release}), turns VMM events (panic, shutdown, exit) and the guest channel's heartbeats
 * into transitions, reconnects the channel, and detects silent guests (HUNG) and guests that never
 * boot. VMM events are handled on one thread of its own, in order, never on the backend's reader
 * thread: a request holding a VM's monitor may be waiting for that reader to deliver a reply.
 * Thread-safe. Closed by the composition root; closing leaves every VMM process running.
 */
public final class InstanceWatch implements AutoCloseable {
    /** How long a starting guest may stay silent before an ERROR event says so. */
    static final Duration BOOT_WARNING = Duration.ofSeconds(120);

    private final VmRegistry vms;
    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2, DaemonThreads.named("vm-watch"));
    private final ExecutorService instanceEvents = Executors.newSingleThreadExecutor(DaemonThreads.named("vm-events"));
    /**
     * Makes the HUNG transitions, so that the checker never waits for a VM's monitor: a checkpoint
     * or migration may hold it for long. At most one task per VM is queued (one thread per VM whose
     * monitor is held, at most).
     */
    private final ExecutorService hangs = Executors.newCachedThreadPool(DaemonThreads.named("vm-hang"));

    public InstanceWatch(VmRegistry vms) {
        this.vms = vms;
        scheduler.scheduleWithFixedDelay(this::checkHeartbeats, 100, 100, TimeUnit.MILLISECONDS);
    }

    /** The run state the VMM reports, or {@link RunState#UNKNOWN} if it cannot be asked. */
    public static RunState runState(Instance inst) {
        try {
            return inst.runState();
        } catch (HpcvirtException e) {
            return RunState.UNKNOWN;
        }
    }

    /** Makes {@code inst} the VM's current instance, stores the record and routes its events. Caller holds the VM's monitor. */
    public void adopt(ManagedVm vm, Instance inst) {
        adopt(vm, inst, true);
    }

    /** Like {@link #adopt(ManagedVm, Instance)}; without {@code persist} the caller stores the record soon after. */
    public void adopt(ManagedVm vm, Instance inst, boolean persist) {
        long gen = ++vm.generation;
        vm.instance = inst;
        vm.exited = vm.exited.isDone() ? new CompletableFuture<>() : vm.exited;
        vm.baselineNanos = System.nanoTime();
        vm.record = vm.record.withProcess(inst.pid(), inst.record().startTicks(), inst.record().runDir());
        if (persist) {
            vms.persist(vm);
        }
        inst.addListener((kind, evName, data) -> {
            try {
                instanceEvents.execute(() -> {
                    try {
                        onInstanceEvent(vm, gen, kind, data);
                    } catch (RuntimeException e) {
                        // one bad event must not end the thread that handles every VM's events
                        vms.publish(vm, VmEvent.Type.ERROR, "handling the VMM event " + kind + " failed: " + e.getMessage(), Map.of());
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // the watch is closed: the next daemon re-attaches and reconciles the state
            }
        });
    }

    /**
     * Records the pid of the VM's instance again: an instance whose process came only after it was
     * adopted (a libvirt domain arriving by migration) has another pid now. Caller holds the VM's monitor.
     */
    public void refreshProcess(ManagedVm vm) {
        Instance inst = vm.instance;
        if (inst != null && inst.pid() != vm.record.pid()) {
            vm.record = vm.record.withProcess(inst.pid(), inst.record().startTicks(), inst.record().runDir());
            vms.persist(vm);
        }
    }

    /** Kills the VM's VMM process without the exit counting as a crash. Caller holds the VM's monitor. */
    public void release(ManagedVm vm) {
        Instance inst = vm.instance;
        vm.generation++;
        VmRegistry.closeChannel(vm);
        if (inst != null) {
            inst.kill();
            inst.close();
        }
        vm.instance = null;
        vm.record = vm.record.withProcess(0, 0, vm.record.runDir());
        vms.persist(vm);
        vm.exited.complete(null);
    }

    /** Forgets what the previous guest of {@code vm} said and moves it to STARTING. Caller holds the VM's monitor. */
    public void enterStarting(ManagedVm vm, VmEvent.Type type, String message, Map<String, Object> data) {
        resetForStart(vm);
        vms.move(vm, VmState.STARTING, type, message, data);
    }

    /** The in-memory part of {@link #enterStarting}. Caller holds the VM's monitor. */
    public static void resetForStart(ManagedVm vm) {
        vm.guestShutdown = false;
        vm.bootTimeoutReported = false;
        vm.lastHeartbeat = null;
        vm.started = new CompletableFuture<>();
        vm.exited = new CompletableFuture<>();
    }

    /** The VM's pause capability; WRONG_STATE without a VMM process, OPERATION_FAILED if the backend cannot pause. */
    public static Pausable pausable(ManagedVm vm) {
        Instance inst = vm.instance;
        if (inst == null) {
            throw new HpcvirtException(ErrorCode.WRONG_STATE, "VM '" + vm.name() + "' has no running VMM process");
        }
        return inst.capability(Pausable.class).orElseThrow(() -> new HpcvirtException(ErrorCode.OPERATION_FAILED,
                "backend '" + vm.profile().backend() + "' cannot pause"));
    }

    /**
     * With {@code wait}, blocks until {@code started} completes (the first heartbeat, or a crash)
     * and fails unless the VM is RUNNING then; returns the VM's status.
     */
    public VmStatus awaitStarted(ManagedVm vm, CompletableFuture<VmState> started, boolean wait, Duration timeout, String doing) {
        if (!wait) {
            return vms.status(vm);
        }
        VmState s;
        try {
            s = started.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new HpcvirtException(ErrorCode.TIMEOUT, "VM '" + vm.name() + "': no heartbeat within " + timeout.toSeconds()
                    + " s; it is still STARTING (see 'hpcvirt vm console " + vm.name() + "')");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "interrupted");
        } catch (ExecutionException e) {
            throw new HpcvirtException(ErrorCode.INTERNAL, "start of " + vm.name(), e.getCause());
        }
        if (s != VmState.RUNNING) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "VM '" + vm.name() + "' became " + s + " while " + doing);
        }
        return vms.status(vm);
    }

    /**
     * Waits up to {@code timeout} for the VM's current VMM process to exit; true if it did.
     * Call without holding the VM's monitor.
     */
    boolean awaitExit(ManagedVm vm, CompletableFuture<Void> exited, Duration timeout) {
        try {
            exited.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException | ExecutionException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void onInstanceEvent(ManagedVm vm, long gen, InstanceListener.Kind kind, Map<String, Object> data) {
        if (gen != vm.generation) {
            return;
        }
        switch (kind) {
            case GUEST_PANICKED -> {
                synchronized (vm) {
                    if (gen == vm.generation && vm.state().canMoveTo(VmState.PANICKED)) {
                        vms.move(vm, VmState.PANICKED, VmEvent.Type.GUEST_PANICKED,
                                "guest kernel panicked; QEMU kept paused for inspection", data);
                        vm.started.complete(VmState.PANICKED);
                    } else if (gen == vm.generation) {
                        // e.g. while STOPPING or MIGRATING: the detection is recorded, the state stays
                        vms.publish(vm, VmEvent.Type.GUEST_PANICKED, "guest kernel panicked (while " + vm.state() + ")", data);
                    }
                }
            }
            case SHUTDOWN -> {
                vm.guestShutdown = true;
                vms.publish(vm, VmEvent.Type.GUEST_SHUTDOWN, "guest powered off (" + data.getOrDefault("reason", "?") + ")", data);
            }
            case EXITED -> onExited(vm, gen, data);
            default -> { }
        }
    }

    /** The VM's VMM process is gone: STOPPED if that was asked for or the guest powered off, else CRASHED. */
    void onExited(ManagedVm vm, long gen, Map<String, Object> data) {
        synchronized (vm) {
            if (gen != vm.generation || vm.instance == null && vm.record.state() != VmState.STOPPING) {
                return;
            }
            VmRegistry.closeChannel(vm);
            Instance inst = vm.instance;
            if (inst != null) {
                inst.close();
            }
            vm.instance = null;
            VmState s = vm.record.state();
            vm.record = vm.record.withProcess(0, 0, vm.record.runDir());
            Map<String, Object> d = new HashMap<>(data);
            if (s == VmState.STOPPING || vm.guestShutdown) {
                vms.move(vm, VmState.STOPPED, VmEvent.Type.QEMU_EXITED,
                        s == VmState.STOPPING ? "QEMU exited; VM stopped" : "QEMU exited after the guest powered off", d);
            } else if (s.canMoveTo(VmState.CRASHED)) {
                vms.move(vm, VmState.CRASHED, VmEvent.Type.QEMU_EXITED, "QEMU exited unexpectedly"
                        + (d.containsKey("exitCode") ? " (exit code " + d.get("exitCode") + ")" : " (killed?)"), d);
            } else {
                vms.persist(vm);
            }
            vm.started.complete(vm.record.state());
            vm.exited.complete(null);
        }
    }

    /** Connects the guest channel of the VM's current instance, retrying while the instance lives. Call without the VM's monitor. */
    public void connectChannel(ManagedVm vm) {
        connectChannel(vm, vm.generation);
    }

    private void connectChannel(ManagedVm vm, long gen) {
        Instance inst = vm.instance;
        if (inst == null || gen != vm.generation) {
            return;
        }
        try {
            GuestChannel ch = GuestChannel.connect(inst.guestChannelSocket(), new GuestChannel.Listener() {
                @Override
                public void onHeartbeat(Heartbeat hb) {
                    onBeat(vm, gen, hb);
                }

                @Override
                public void onDisconnected() {
                    if (gen == vm.generation && vm.instance != null && vm.instance.isAlive()) {
                        scheduler.schedule(() -> connectChannel(vm, gen), 500, TimeUnit.MILLISECONDS);
                    }
                }
            });
            synchronized (vm) {
                if (gen != vm.generation) {
                    ch.close();
                    return;
                }
                VmRegistry.closeChannel(vm);
                vm.channel = ch;
            }
        } catch (HpcvirtException e) {
            if (gen == vm.generation && inst.isAlive()) {
                scheduler.schedule(() -> connectChannel(vm, gen), 200, TimeUnit.MILLISECONDS);
            }
        }
    }

    private void onBeat(ManagedVm vm, long gen, Heartbeat hb) {
        if (gen != vm.generation) {
            return;
        }
        vm.lastHeartbeat = hb;
        vm.lastHeartbeatNanos = System.nanoTime();
        VmState s = vm.record.state();
        if (s == VmState.STARTING || s == VmState.HUNG) {
            synchronized (vm) {
                if (gen != vm.generation) {
                    return;
                }
                if (vm.record.state() == VmState.STARTING) {
                    vms.move(vm, VmState.RUNNING, VmEvent.Type.STATE_CHANGED, "first heartbeat (seq " + hb.seq() + ", guest uptime "
                            + hb.uptimeMs() + " ms)", Map.of("seq", hb.seq()));
                    vm.started.complete(VmState.RUNNING);
                } else if (vm.record.state() == VmState.HUNG) {
                    vms.move(vm, VmState.RUNNING, VmEvent.Type.HEARTBEAT_RESUMED, "heartbeats resumed (seq " + hb.seq() + ")",
                            Map.of("seq", hb.seq()));
                }
            }
        }
    }

    private void checkHeartbeats() {
        long now = System.nanoTime();
        for (ManagedVm vm : vms.all()) {
            try {
                VmState s = vm.record.state();
                long ageMs = (now - Math.max(vm.lastHeartbeatNanos, vm.baselineNanos)) / 1_000_000;
                long timeoutMs = vm.record.profile().heartbeatTimeout().toMillis();
                if (s == VmState.RUNNING && ageMs > timeoutMs && vm.hangCheckQueued.compareAndSet(false, true)) {
                    hangs.execute(() -> {
                        try {
                            markHungIfSilent(vm, timeoutMs);
                        } finally {
                            vm.hangCheckQueued.set(false);
                        }
                    });
                } else if (s == VmState.STARTING && !vm.bootTimeoutReported && ageMs > BOOT_WARNING.toMillis()) {
                    vm.bootTimeoutReported = true;
                    vms.publish(vm, VmEvent.Type.ERROR, "no heartbeat " + BOOT_WARNING.toSeconds() + " s after start", Map.of());
                }
            } catch (RuntimeException e) {
                // keep watching the other VMs
            }
        }
    }

    /** HUNG if the VM is still RUNNING and silent once its monitor is free (a pause meanwhile resets the age). */
    private void markHungIfSilent(ManagedVm vm, long timeoutMs) {
        synchronized (vm) {
            long again = (System.nanoTime() - Math.max(vm.lastHeartbeatNanos, vm.baselineNanos)) / 1_000_000;
            if (vm.record.state() == VmState.RUNNING && again > timeoutMs) {
                Heartbeat hb = vm.lastHeartbeat;
                vms.move(vm, VmState.HUNG, VmEvent.Type.HEARTBEAT_LOST, "no heartbeat for " + again + " ms (timeout "
                        + timeoutMs + " ms); guest hung?", Map.of("lastSeq", hb == null ? -1 : hb.seq(), "silentMs", again));
            }
        }
    }

    /** Stops watching; every VMM process keeps running. */
    @Override
    public void close() {
        scheduler.shutdownNow();
        instanceEvents.shutdownNow();
        hangs.shutdownNow();
        for (ManagedVm vm : vms.all()) {
            synchronized (vm) {
                vm.generation++;
                VmRegistry.closeChannel(vm);
                Instance inst = vm.instance;
                if (inst != null) {
                    inst.close();
                }
            }
        }
    }
}
