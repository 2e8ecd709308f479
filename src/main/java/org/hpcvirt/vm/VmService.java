package org.hpcvirt.vm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.hpcvirt.api.DaemonThreads;
import org.hpcvirt.api.DirectoryTree;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.VmEvent;
import org.hpcvirt.api.VmState;
import org.hpcvirt.backend.Backend;
import org.hpcvirt.backend.BackendRegistry;
import org.hpcvirt.backend.Instance;
import org.hpcvirt.backend.InstanceListener;
import org.hpcvirt.backend.InstanceRecord;
import org.hpcvirt.backend.LaunchSpec;
import org.hpcvirt.backend.Pausable;
import org.hpcvirt.backend.RunState;
import org.hpcvirt.backend.Checkpointable;
import org.hpcvirt.backend.DiskSnapshots;
import org.hpcvirt.checkpoint.CheckpointException;
import org.hpcvirt.checkpoint.CheckpointManifest;
import org.hpcvirt.checkpoint.CheckpointStore;
import org.hpcvirt.checkpoint.Qcow2;
import org.hpcvirt.guest.CounterReading;
import org.hpcvirt.guest.ExecResult;
import org.hpcvirt.guest.GuestChannel;
import org.hpcvirt.guest.Heartbeat;
import org.hpcvirt.guest.Image;
import org.hpcvirt.guest.ImageStore;
import org.hpcvirt.profile.VmProfile;
import org.hpcvirt.vm.store.VmRecord;
import org.hpcvirt.vm.store.VmStore;

/**
 * Owns the VMs of one node: validates and applies lifecycle requests, records detections, and
 * persists both. Every public method is thread-safe; requests on one VM are serialised on that
 * VM, requests on different VMs run in parallel. Wrong-state requests fail with
 * {@link ErrorCode#WRONG_STATE} naming the state and what is allowed. The creator closes it;
 * closing leaves every QEMU running so that the next service can {@link #recover() re-attach}.
 */
public final class VmService implements AutoCloseable {
    /** How long a starting guest may stay silent before an ERROR event says so. */
    static final Duration BOOT_WARNING = Duration.ofSeconds(120);
    private static final Duration CHANNEL_TIMEOUT = Duration.ofSeconds(10);

    private final NodeLayout layout;
    private final BackendRegistry backends;
    private final ImageStore images;
    private final VmStore store;
    private final EventBus bus;
    private final CheckpointStore checkpoints;
    private final Map<String, LiveVm> vms = new ConcurrentHashMap<>();
    private final ScheduledExecutorService scheduler;
    /** VMM events are handled here, in order, never on the VMM's reader thread: a request holding a
     * VM's lock may be waiting for that reader to deliver a QMP reply. */
    private final java.util.concurrent.ExecutorService instanceEvents = Executors.newSingleThreadExecutor(DaemonThreads.named("vm-events"));

    /** Verifies checkpoint files while QEMU loads a restore (daemon threads, as many as restores at once). */
    private final java.util.concurrent.ExecutorService verifier = Executors.newCachedThreadPool(DaemonThreads.named("checkpoint-verify"));

    /** Default for {@link #setMaxDiskLayers}. */
    public static final int DEFAULT_MAX_DISK_LAYERS = 4;
    private volatile int maxDiskLayers = DEFAULT_MAX_DISK_LAYERS;

    public VmService(NodeLayout layout, BackendRegistry backends, ImageStore images, VmStore store, EventBus bus) {
        this.layout = layout;
        this.backends = backends;
        this.images = images;
        this.store = store;
        this.bus = bus;
        this.checkpoints = new CheckpointStore(layout.checkpointStore());
        this.scheduler = Executors.newScheduledThreadPool(2, DaemonThreads.named("vm-service"));
        for (VmRecord r : store.all()) {
            vms.put(r.name(), new LiveVm(r));
        }
        scheduler.scheduleWithFixedDelay(this::checkHeartbeats, 100, 100, TimeUnit.MILLISECONDS);
    }

    public EventBus events() {
        return bus;
    }

    public BackendRegistry backends() {
        return backends;
    }

    /** The checkpoint store this node writes to and restores from. */
    public CheckpointStore checkpoints() {
        return checkpoints;
    }

    // ---------------------------------------------------------------- recovery

    /**
     * Re-attaches to every VM that was active when the previous daemon stopped: same pid, same
     * state (reconciled with what QEMU reports). A QEMU that is gone makes its VM CRASHED. A VM
     * that was arriving by live migration and never ran here is forgotten, its QEMU killed if it
     * is still there: its source still has it (see {@link #forgetInterruptedIncoming}). Call once,
     * right after construction.
     */
    public void recover() {
        for (LiveVm vm : vms.values()) {
            VmRecord r = vm.record;
            if (!r.state().isActive()) {
                continue;
            }
            synchronized (vm) {
                boolean incoming = r.state() == VmState.STARTING && startedAsIncomingMigration(vm.name());
                Instance inst;
                try {
                    Backend b = backends.get(r.profile().backend());
                    inst = b.attach(new InstanceRecord(b.name(), r.pid(), r.startTicks(), r.runDir()));
                } catch (HpcvirtException e) {
                    if (incoming) {
                        forgetInterruptedIncoming(vm, null, "its QEMU pid " + r.pid() + " is gone");
                        continue;
                    }
                    vm.record = r.withProcess(0, 0, r.runDir());
                    move(vm, VmState.CRASHED, VmEvent.Type.QEMU_EXITED,
                            "QEMU pid " + r.pid() + " exited while no daemon was watching", Map.of("pid", r.pid()));
                    continue;
                }
                RunState state = safeState(inst);
                String status = state.name().toLowerCase(java.util.Locale.ROOT);
                if (incoming && state != RunState.RUNNING) {
                    forgetInterruptedIncoming(vm, inst, "its QEMU pid " + r.pid() + " never ran the guest (status "
                            + status + ") and is killed");
                    continue;
                }
                adopt(vm, inst);
                // A migration cannot survive its daemon: QEMU resumed the source if the stream failed;
                // a source that completed ("postmigrate") stays PAUSED because the destination may run it.
                VmState target = r.state() == VmState.MIGRATING ? (state == RunState.RUNNING ? VmState.RUNNING : VmState.PAUSED)
                        : switch (state) {
                    case PAUSED, INCOMING -> r.state() == VmState.STARTING ? VmState.STARTING : VmState.PAUSED;
                    case PANICKED -> VmState.PANICKED;
                    default -> r.state();
                };
                publish(vm, VmEvent.Type.ATTACHED, "re-attached to QEMU pid " + r.pid() + " (QEMU status " + status + ")",
                        Map.of("pid", r.pid(), "qemuStatus", status));
                if (target != r.state() && r.state().canMoveTo(target)) {
                    if (r.state() == VmState.MIGRATING) {
                        move(vm, target, VmEvent.Type.MIGRATION, "the daemon restarted during a migration; QEMU status " + status
                                + (target == VmState.PAUSED ? ": kept PAUSED, the destination may run the VM; check it before resuming"
                                        : ": the VM keeps running here"), Map.of("outcome", "interrupted"));
                    } else {
                        move(vm, target, VmEvent.Type.STATE_CHANGED, "state reconciled with QEMU status " + status, Map.of());
                    }
                }
                if (r.state() == VmState.STARTING || r.state() == VmState.RUNNING) {
                    vm.started = new CompletableFuture<>();
                    if (r.state() == VmState.RUNNING) {
                        vm.started.complete(VmState.RUNNING);
                    }
                }
            }
            connectChannel(vm, vm.generation);
        }
    }

    /**
     * True if the VM's latest way into STARTING was an incoming live migration
     * ({@link #prepareIncoming}), not a start or a restore.
     */
    private boolean startedAsIncomingMigration(String name) {
        List<VmEvent> h = bus.history(name, 0, Integer.MAX_VALUE);
        for (int i = h.size() - 1; i >= 0; i--) {
            VmEvent e = h.get(i);
            if (e.type() == VmEvent.Type.MIGRATION && e.message().startsWith("incoming migration from")) {
                return true;
            }
            if (e.state() == VmState.STARTING && e.type() == VmEvent.Type.STATE_CHANGED) {
                return false;
            }
        }
        return false;
    }

    /**
     * Recovery of a destination whose daemon stopped during an incoming migration, before the
     * guest ran here: the source keeps its QEMU until the destination confirmed RUNNING, so the
     * source still has the VM (running if its stream failed, PAUSED if it had completed). This
     * node kills its never-resumed QEMU, if any, so that the source can safely resume, and
     * forgets the VM (the disk layers stay in the store). Caller holds the VM's lock.
     */
    private void forgetInterruptedIncoming(LiveVm vm, Instance inst, String what) {
        if (inst != null) {
            inst.kill();
            inst.close();
        }
        publish(vm, VmEvent.Type.MIGRATION, "incoming migration interrupted: this daemon stopped before the VM ran here; " + what
                + "; the source still has the VM (if it is PAUSED there, it can now be resumed there)",
                Map.of("outcome", "interrupted"));
        forget(vm, "forgotten here after an interrupted incoming migration (disk layers stay in the store)");
    }

    private static RunState safeState(Instance inst) {
        try {
            return inst.runState();
        } catch (HpcvirtException e) {
            return RunState.UNKNOWN;
        }
    }

    // ---------------------------------------------------------------- requests

    /** Defines a VM from a validated profile. Allowed when no VM of that name exists. Checks the backend name. */
    public VmStatus define(VmProfile profile) {
        backends.get(profile.backend());
        layout.checkSocketPaths(profile.name());
        Instant now = Instant.now();
        VmRecord r = new VmRecord(profile, VmState.DEFINED, 0, 0, null, now, now);
        LiveVm vm = new LiveVm(r);
        synchronized (vm) {
            if (vms.putIfAbsent(profile.name(), vm) != null) {
                throw new HpcvirtException(ErrorCode.ALREADY_EXISTS, "VM '" + profile.name() + "' is already defined");
            }
            try {
                store.insert(r);
            } catch (RuntimeException e) {
                vms.remove(profile.name());
                throw e;
            }
            publish(vm, VmEvent.Type.DEFINED, "defined (backend " + profile.backend() + ", " + profile.cpus() + " vCPU, "
                    + org.hpcvirt.api.DataSize.format(profile.memoryBytes()) + ")", Map.of());
        }
        return status(profile.name());
    }

    /**
     * Starts QEMU for a VM in DEFINED, STOPPED or CRASHED. With {@code wait}, returns once the
     * guest agent's first heartbeat arrived (RUNNING) and fails if the guest crashes first or
     * {@code timeout} passes (the VM then stays STARTING).
     */
    public VmStatus start(String name, boolean wait, Duration timeout) {
        LiveVm vm = get(name);
        CompletableFuture<VmState> started;
        synchronized (vm) {
            VmRecord r = vm.record;
            require(vm, VmState.STARTING, "start");
            VmProfile p = r.profile();
            Backend backend = backends.usable(p.backend());
            Image image = images.get(p.image());
            Path disk = p.disk() == null ? null : ensureDataDisk(image, p);
            Path run = layout.runDir(name);
            enterStarting(vm, VmEvent.Type.STATE_CHANGED, "starting on backend " + backend.name(), Map.of());
            adopt(vm, launchOrStop(vm, backend, new LaunchSpec(p, run, image.kernel(), image.initramfs(), disk, null, false), "start"));
            started = vm.started;
        }
        connectChannel(vm, vm.generation);
        return awaitStarted(name, started, wait, timeout, "booting");
    }

    /** Stops the vCPUs of a RUNNING or HUNG VM; heartbeats stop and are not counted as lost. */
    public VmStatus pause(String name) {
        LiveVm vm = get(name);
        synchronized (vm) {
            require(vm, VmState.PAUSED, "pause");
            pausable(vm).pause();
            move(vm, VmState.PAUSED, VmEvent.Type.STATE_CHANGED, "paused", Map.of());
        }
        return status(name);
    }

    /** Resumes a PAUSED VM; the heartbeat sequence continues. */
    public VmStatus resume(String name) {
        LiveVm vm = get(name);
        synchronized (vm) {
            if (vm.record.state() != VmState.PAUSED) {
                throw new HpcvirtException(ErrorCode.WRONG_STATE, "cannot resume VM '" + name + "' in state "
                        + vm.record.state() + " (allowed in PAUSED)");
            }
            pausable(vm).resume();
            vm.baselineNanos = System.nanoTime();
            move(vm, VmState.RUNNING, VmEvent.Type.STATE_CHANGED, "resumed", Map.of());
        }
        return status(name);
    }

    /**
     * Stops an active VM: asks the guest to power off and waits up to {@code timeout} for QEMU to
     * exit, then kills it. With {@code force}, kills at once. Ends in STOPPED.
     */
    public VmStatus stop(String name, boolean force, Duration timeout) {
        LiveVm vm = get(name);
        CompletableFuture<Void> exited;
        Instance inst;
        VmState before;
        synchronized (vm) {
            require(vm, VmState.STOPPING, "stop");
            inst = vm.instance;
            exited = vm.exited;
            before = vm.record.state();
            move(vm, VmState.STOPPING, VmEvent.Type.STATE_CHANGED, force ? "stopping (forced)" : "stopping", Map.of());
        }
        boolean clean = false;
        // A panicked guest cannot power itself off: kill it at once instead of waiting for nothing.
        if (!force && inst != null && before != VmState.PANICKED) {
            GuestChannel ch = vm.channel;
            try {
                if (ch != null) {
                    ch.shutdownGuest();
                } else {
                    inst.powerdown();
                }
                exited.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                clean = true;
            } catch (TimeoutException | ExecutionException | HpcvirtException e) {
                clean = false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (!clean && inst != null) {
            inst.kill();
            try {
                exited.get(10, TimeUnit.SECONDS);
            } catch (TimeoutException | ExecutionException e) {
                onExited(vm, vm.generation, Map.of());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (vm.record.state() == VmState.STOPPING) {
            onExited(vm, vm.generation, Map.of());
        }
        return status(name);
    }

    /** Kills QEMU if any, deletes the VM's run directory, disk and record. Allowed in every state. */
    public void destroy(String name) {
        LiveVm vm = get(name);
        synchronized (vm) {
            releaseInstance(vm);
            DirectoryTree.delete(layout.runDir(name));
            DirectoryTree.delete(layout.vmDir(name));
            store.delete(name);
            vms.remove(name);
            VmRecord r = vm.record.with(VmState.DESTROYED);
            vm.record = r;
            bus.publish(VmEvent.of(name, VmEvent.Type.DESTROYED, VmState.DESTROYED, "destroyed; its files are deleted"));
        }
    }

    /** Runs a shell command in the guest through the agent. Allowed in RUNNING. */
    public ExecResult exec(String name, String command, Duration timeout) {
        return channelFor(name, "exec").exec(command, timeout);
    }

    /** Reads the agent's memory-continuity counter. Allowed in RUNNING. */
    public CounterReading counter(String name) {
        return channelFor(name, "counter").counter(CHANNEL_TIMEOUT);
    }

    public VmStatus status(String name) {
        return toStatus(get(name));
    }

    public List<VmStatus> list() {
        List<VmStatus> out = new ArrayList<>();
        vms.values().stream().sorted(Comparator.comparing(LiveVm::name)).forEach(vm -> out.add(toStatus(vm)));
        return out;
    }

    public VmProfile profile(String name) {
        return get(name).record.profile();
    }

    /** The serial console log of the VM's current (or last) QEMU. */
    public Path consoleLog(String name) {
        get(name);
        return layout.runDir(name).resolve("console.log");
    }

    // ---------------------------------------------------------------- checkpoint, restore, suspend

    /**
     * After a checkpoint whose disk chain has {@code n} or more frozen layers, the running disk is
     * flattened onto its image base so that the next checkpoint starts a new chain (a full disk
     * checkpoint, then incremental ones again). 1 makes every checkpoint a full one.
     *
     * @throws HpcvirtException INVALID_INPUT unless 1 ≤ n ≤ 10000
     */
    public void setMaxDiskLayers(int n) {
        maxDiskLayers = checkedMaxDiskLayers(n);
    }

    /**
     * {@code n} if it is a valid maximum number of disk layers (see {@link #setMaxDiskLayers}).
     *
     * @throws HpcvirtException INVALID_INPUT unless 1 ≤ n ≤ 10000
     */
    public static int checkedMaxDiskLayers(int n) {
        if (n < 1 || n > 10_000) {
            throw HpcvirtException.invalid("the maximum number of disk layers must be between 1 and 10000, not " + n);
        }
        return n;
    }

    /** QEMU drive id of the per-VM data disk. */
    static final String DATA_DRIVE = "data";

    /**
     * Writes a checkpoint of a RUNNING or PAUSED VM: RAM and device state, and disk state as the
     * frozen qcow2 layers of the data disk (the first checkpoint moves the disk's top layer into the
     * store; later ones only add what changed). Without {@code live} the guest is paused for the
     * whole copy; with it only for the final pass. A running guest runs again afterwards. The
     * checkpoint is listed only once complete and fsynced.
     */
    public CheckpointManifest checkpoint(String name, boolean live, String tag) {
        LiveVm vm = get(name);
        synchronized (vm) {
            return checkpointLocked(vm, live, tag, true);
        }
    }

    private CheckpointManifest checkpointLocked(LiveVm vm, boolean live, String tag, boolean resumeAfter) {
        VmState s = vm.record.state();
        if (s != VmState.RUNNING && s != VmState.PAUSED) {
            throw new HpcvirtException(ErrorCode.WRONG_STATE, "cannot checkpoint VM '" + vm.name() + "' in state " + s
                    + " (allowed in RUNNING, PAUSED)");
        }
        Instance inst = vm.instance;
        VmProfile p = vm.record.profile();
        Checkpointable cp = inst.capability(Checkpointable.class).orElseThrow(() -> new HpcvirtException(
                ErrorCode.OPERATION_FAILED, "backend '" + p.backend() + "' cannot checkpoint"));
        DiskSnapshots ds = p.disk() == null ? null : inst.capability(DiskSnapshots.class).orElseThrow(() -> new HpcvirtException(
                ErrorCode.OPERATION_FAILED, "backend '" + p.backend() + "' cannot snapshot disks"));
        Heartbeat hb = vm.lastHeartbeat;
        long counter = -1;
        GuestChannel ch = vm.channel;
        if (s == VmState.RUNNING && ch != null) {
            try {
                counter = ch.counter(Duration.ofSeconds(2)).value();
            } catch (HpcvirtException e) {
                // the counter is informative; the checkpoint does not depend on the agent
            }
        }
        if (ds != null) {
            moveDiskToStore(vm, ds);
        }
        CheckpointStore.Pending pend = checkpoints.begin(vm.name());
        Path newTop = ds == null ? null : checkpoints.newLayer(vm.name());
        Path frozen = ds == null ? null : ds.topLayer(DATA_DRIVE);
        String node = "hv" + Long.toHexString(System.nanoTime());
        long t0 = System.nanoTime();
        if (ds != null) {
            ds.prepareSnapshot(DATA_DRIVE, newTop, node);
        }
        long pauseMs;
        long totalMs;
        Checkpointable.SaveResult r;
        try {
            long[] completedAt = {0};
            long[] resumedAt = {0};
            // resume the guest the moment its state is written, before QEMU's statistics are read
            Runnable atCompletion = () -> {
                completedAt[0] = System.nanoTime();
                if (s == VmState.RUNNING && resumeAfter) {
                    pausable(vm).resume();
                    vm.baselineNanos = System.nanoTime();
                }
                resumedAt[0] = System.nanoTime();
            };
            r = cp.saveState(pend.stateFile(), live ? Checkpointable.SaveOptions.liveCopy() : Checkpointable.SaveOptions.paused(),
                    ds == null ? null : () -> ds.snapshotDisk(DATA_DRIVE, newTop, node), atCompletion);
            long resumeLagMs = (resumedAt[0] - completedAt[0]) / 1_000_000;
            totalMs = (completedAt[0] - t0) / 1_000_000;
            // QEMU's own STOP→RESUME interval when it has one (rounded up); else what we saw from here
            pauseMs = r.pauseMicros() >= 0 ? (r.pauseMicros() + 999) / 1000
                    : live ? r.downtimeMs() + resumeLagMs : (resumedAt[0] - t0) / 1_000_000;
        } catch (RuntimeException e) {
            checkpoints.abort(pend);
            if (ds != null) {
                ds.discardPrepared(node, newTop);
                if (Files.exists(newTop)) {
                    // the snapshot was taken before the failure: the disk now writes to the new layer
                    linkDataDisk(vm.name(), newTop);
                }
            }
            if (s == VmState.RUNNING && safeState(inst) != RunState.RUNNING) {
                try {
                    pausable(vm).resume();
                } catch (HpcvirtException ignored) {
                    // reported below
                }
            }
            publish(vm, VmEvent.Type.ERROR, "checkpoint failed: " + e.getMessage(), Map.of());
            throw e;
        }
        if (ds != null) {
            linkDataDisk(vm.name(), newTop);
        }
        List<CheckpointManifest.FileEntry> files = new ArrayList<>();
        String state = checkpoints.relative(pend.stateFile()).replaceFirst("^[^/]+/", pend.id() + "/");
        // the backend hashed the state while writing it; read it back only if it did not
        CheckpointManifest.FileEntry stateEntry = r.sha256() != null ? new CheckpointManifest.FileEntry(state, r.fileBytes(), r.sha256())
                : checkpoints.describe(pend.stateFile());
        files.add(new CheckpointManifest.FileEntry(state, stateEntry.size(), stateEntry.sha256()));
        List<String> layers = new ArrayList<>();
        String imageBase = null;
        long diskBytes = 0;
        if (frozen != null) {
            for (Path l : Qcow2.chain(frozen)) {
                if (!Qcow2.isQcow2(l)) {
                    imageBase = l.toString();
                    continue;
                }
                String rel = checkpoints.relative(l);
                layers.add(rel);
                files.add(frozenLayerEntry(vm, rel, l));
            }
            diskBytes = Qcow2.virtualSize(frozen);
        }
        CheckpointManifest m = new CheckpointManifest(CheckpointManifest.FORMAT, pend.id(), vm.name(), tag,
                java.time.Instant.now(), p, p.backend(), backends.get(p.backend()).probe().version(), live, pauseMs, totalMs,
                files.get(0).size(), hb == null ? -1 : hb.seq(), counter, hb == null ? -1 : hb.uptimeMs(), imageBase, diskBytes,
                layers, files);
        try {
            checkpoints.commit(pend, m);
        } catch (RuntimeException e) {
            checkpoints.abort(pend);
            publish(vm, VmEvent.Type.ERROR, "checkpoint failed: " + e.getMessage(), Map.of());
            throw e;
        }
        vm.knownLayers = layerEntries(m);
        if (ds != null && layers.size() >= maxDiskLayers && imageBase != null && resumeAfter) {
            boundChain(vm, ds, layers.size());
        }
        publish(vm, VmEvent.Type.CHECKPOINT, "checkpoint " + m.id() + (live ? " (live)" : "") + ": guest paused " + pauseMs
                + " ms, " + String.format("%.1f MiB", m.stateBytes() / 1048576.0) + " state, " + layers.size() + " disk layer(s)",
                Map.of("checkpoint", m.id(), "pauseMs", pauseMs, "stateBytes", m.stateBytes(), "live", live,
                        "durationMs", (System.nanoTime() - t0) / 1_000_000, "qemuDowntimeMs", r.downtimeMs(),
                        "captureMs", totalMs, "pauseMicros", r.pauseMicros(), "pausePhasesMicros", r.phases()));
        return m;
    }

    /**
     * Keeps the running disk's chain short: copies what the frozen layers hold into the writable
     * top (QEMU block-stream, guest running) so the chain becomes image base ← top. Every
     * checkpoint adds a layer, and QEMU's work to stop and resume the guest around a checkpoint
     * (inactivating and reopening every layer) grows with the chain, as does every disk read that
     * misses the top. The next checkpoint then freezes a layer holding all the disk's data (a full
     * disk checkpoint); the older layers stay in the store for the checkpoints that list them and
     * go with them. If streaming fails the VM keeps its long chain and runs on; the failure is
     * reported as an event, the checkpoint itself is complete.
     */
    private void boundChain(LiveVm vm, DiskSnapshots ds, int frozen) {
        long t0 = System.nanoTime();
        try {
            // the base by the name QEMU opened it (see moveDiskToStore)
            List<String> chain = ds.chain(DATA_DRIVE);
            String base = chain.get(chain.size() - 1);
            ds.flatten(DATA_DRIVE, base, Path.of(base), Duration.ofMinutes(30));
            publish(vm, VmEvent.Type.CHECKPOINT, "disk chain shortened: " + frozen + " frozen layer(s) copied into the top layer in "
                    + (System.nanoTime() - t0) / 1_000_000 + " ms; the next checkpoint stores the whole disk",
                    Map.of("layersMerged", frozen, "ms", (System.nanoTime() - t0) / 1_000_000));
        } catch (HpcvirtException e) {
            publish(vm, VmEvent.Type.ERROR, "could not shorten the disk chain (" + frozen + " layers): " + e.getMessage(), Map.of());
        }
    }

    /**
     * Size and SHA-256 of a frozen layer: as recorded when it was frozen if the VM knows it and its
     * size is unchanged (frozen layers are never written again; restore verifies them), else read.
     */
    private CheckpointManifest.FileEntry frozenLayerEntry(LiveVm vm, String rel, Path layer) {
        CheckpointManifest.FileEntry known = vm.knownLayers.get(rel);
        try {
            if (known != null && Files.size(layer) == known.size()) {
                return known;
            }
        } catch (IOException e) {
            // read it below, which reports the problem
        }
        return checkpoints.describe(layer);
    }

    /**
     * Makes the data disk's top layer live in the checkpoint store: freezes the node-local top onto
     * a new store layer, then copies the local layer's clusters up into it (QEMU block-stream) so the
     * chain becomes image base ← store layer and the local file can go. The guest keeps running.
     */
    private void moveDiskToStore(LiveVm vm, DiskSnapshots ds) {
        List<String> chain = ds.chain(DATA_DRIVE);
        Path top = Path.of(chain.get(0)).toAbsolutePath().normalize();
        if (top.startsWith(checkpoints.root())) {
            return;
        }
        if (chain.size() < 2) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "data disk of '" + vm.name() + "' has no base image");
        }
        // The base keeps the name QEMU opened it by (a different name would make QEMU describe the
        // chain in json: filenames); the daemon opens images by their real path for this reason.
        String base = chain.get(chain.size() - 1);
        Path layer = checkpoints.newLayer(vm.name());
        ds.snapshotDisk(DATA_DRIVE, layer, "hv" + Long.toHexString(System.nanoTime()));
        linkDataDisk(vm.name(), layer);
        ds.flatten(DATA_DRIVE, base, Path.of(base), Duration.ofMinutes(10));
        publish(vm, VmEvent.Type.CHECKPOINT, "data disk moved to the checkpoint store (" + checkpoints.relative(layer) + ")",
                Map.of("layer", checkpoints.relative(layer)));
    }

    /** Points {@code vms/NAME/data.qcow2} at {@code target} (atomically replacing a file or link). */
    private void linkDataDisk(String name, Path target) {
        Path link = layout.vmDir(name).resolve("data.qcow2");
        Path tmp = layout.vmDir(name).resolve("data.qcow2.new-link");
        try {
            Files.createDirectories(link.getParent());
            Files.deleteIfExists(tmp);
            Files.createSymbolicLink(tmp, target.toAbsolutePath());
            Files.move(tmp, link, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot link " + link + " to " + target, e);
        }
    }

    /**
     * Starts a VM from checkpoint {@code id} after verifying every file's SHA-256: into a new VM
     * called {@code newName} (default: the checkpointed VM's name), or into an existing VM of that
     * name in DEFINED, STOPPED, CRASHED or SUSPENDED. The guest continues where it was
     * (heartbeat sequence, uptime, memory); its disk is a new overlay on the checkpoint's layers.
     * With {@code wait}, returns once a heartbeat arrived.
     *
     * @throws org.hpcvirt.checkpoint.CheckpointException REFUSED if a file is missing or differs
     */
    public VmStatus restore(String id, String newName, boolean wait, Duration timeout) {
        long t0 = System.nanoTime();
        CheckpointManifest m = checkpoints.get(id);
        checkpoints.checkPresent(m);
        String name = newName == null || newName.isBlank() ? m.vm() : newName;
        boolean definedHere = false;
        if (!vms.containsKey(name)) {
            define(m.profile().withName(name));
            definedHere = true;
        }
        LiveVm vm = get(name);
        CompletableFuture<VmState> started;
        try {
            synchronized (vm) {
                require(vm, VmState.STARTING, "restore into");
                VmProfile p = vm.record.profile();
                if (p.cpus() != m.profile().cpus() || p.memoryBytes() != m.profile().memoryBytes()
                        || (p.disk() == null) != m.layers().isEmpty()) {
                    throw HpcvirtException.invalid("VM '" + name + "' has other virtual hardware than checkpoint " + id
                            + " (taken of '" + m.vm() + "'); restore with --name NEW");
                }
                started = launchRestored(vm, m, "restoring from checkpoint " + m.id(), t0);
            }
        } catch (RuntimeException e) {
            if (definedHere) {
                // a refused or failed restore into a new name leaves no VM behind
                try {
                    destroy(name);
                } catch (HpcvirtException ignored) {
                    // the restore's failure is what the caller needs
                }
            }
            throw e;
        }
        connectChannel(vm, vm.generation);
        return awaitStarted(name, started, wait, timeout, "resuming");
    }

    /**
     * Starts QEMU loading checkpoint {@code m} into {@code vm} and runs the guest. The checksums
     * are verified while QEMU loads: the state file's as it streams into QEMU, the disk layers'
     * on another thread. Only when all match does the VM move to STARTING and the guest run; if
     * any differs (REFUSED) or the load fails, QEMU is killed, the new disk overlay deleted, and
     * the VM is left in the state it had. Caller holds the VM's lock and checked the state.
     */
    private CompletableFuture<VmState> launchRestored(LiveVm vm, CheckpointManifest m, String message, long t0) {
        VmProfile p = vm.record.profile();
        Backend backend = backends.usable(p.backend());
        Image image = images.get(p.image());
        Path disk = null;
        if (!m.layers().isEmpty()) {
            if (m.imageBase() != null && !Files.exists(Path.of(m.imageBase()))) {
                throw new HpcvirtException(ErrorCode.NOT_FOUND, "checkpoint " + m.id() + " needs base disk " + m.imageBase()
                        + " (image '" + p.image() + "'), which this node does not have");
            }
            disk = checkpoints.newLayer(vm.name());
            Qcow2.createOverlay(checkpoints.resolve(m.layers().get(m.layers().size() - 1)), disk, m.diskBytes());
        }
        CheckpointManifest.FileEntry state = m.files().stream().filter(f -> f.path().equals(m.stateFile())).findFirst()
                .orElseThrow(() -> new CheckpointException("checkpoint " + m.id() + ": the manifest lists no checksum for "
                        + m.stateFile()));
        CompletableFuture<Void> layersOk = CompletableFuture.runAsync(() -> checkpoints.verify(m, state.path()), verifier);
        long tPrepared = System.nanoTime();
        long tLoaded;
        Instance inst = null;
        try {
            inst = backend.launch(new LaunchSpec(p, layout.runDir(vm.name()), image.kernel(), image.initramfs(), disk,
                    checkpoints.resolve(m.stateFile()), true, state.sha256()));
            tLoaded = System.nanoTime();
            layersOk.join();
        } catch (RuntimeException e) {
            if (inst != null) {
                inst.kill();
                inst.close();
            }
            RuntimeException reason = restoreFailure(m, e, layersOk);
            if (disk != null) {
                DirectoryTree.deleteQuietly(disk);
            }
            publish(vm, VmEvent.Type.ERROR, "restore from checkpoint " + m.id() + " failed: " + reason.getMessage()
                    + "; VM left " + vm.record.state(), Map.of("checkpoint", m.id()));
            throw reason;
        }
        long tVerified = System.nanoTime();
        if (disk != null) {
            linkDataDisk(vm.name(), disk);
        }
        vm.knownLayers = layerEntries(m);
        // The guest runs first, the database learns of it right after: the new QEMU's events are
        // handled under this VM's lock, which the caller holds, so none is missed meanwhile.
        resetForStart(vm);
        adopt(vm, inst, false);
        long tAdopted = System.nanoTime();
        try {
            pausable(vm).resume();
        } catch (HpcvirtException e) {
            move(vm, VmState.STARTING, VmEvent.Type.STATE_CHANGED, message, Map.of("checkpoint", m.id()));
            publish(vm, VmEvent.Type.ERROR, "restore failed: cannot resume the loaded guest: " + e.getMessage(), Map.of());
            releaseInstance(vm);
            move(vm, VmState.STOPPED, VmEvent.Type.STATE_CHANGED, "restore failed", Map.of());
            throw e;
        }
        long tResumed = System.nanoTime();
        move(vm, VmState.STARTING, VmEvent.Type.STATE_CHANGED, message, Map.of("checkpoint", m.id()));
        long tRunning = System.nanoTime();
        long ms = (tRunning - t0) / 1_000_000;
        Map<String, Object> phases = new java.util.LinkedHashMap<>();
        phases.put("prepare", (tPrepared - t0) / 1000);
        phases.put("launchAndLoad", (tLoaded - tPrepared) / 1000);
        phases.put("layersVerified", (tVerified - tLoaded) / 1000);
        phases.put("adopt", (tAdopted - tVerified) / 1000);
        phases.put("cont", (tResumed - tAdopted) / 1000);
        phases.put("record", (tRunning - tResumed) / 1000);
        publish(vm, VmEvent.Type.RESTORED, "restored from checkpoint " + m.id() + " in " + ms + " ms, checksums verified"
                + " (heartbeat seq at checkpoint " + m.heartbeatSeq() + ")",
                Map.of("checkpoint", m.id(), "ms", ms, "heartbeatSeq", m.heartbeatSeq(), "phasesMicros", phases));
        return vm.started;
    }

    /**
     * Why a restore failed: a layer found corrupted wins over what QEMU said about it; a state
     * file whose checksum differs (REFUSED from the backend) is reported as a corrupted checkpoint.
     */
    private static RuntimeException restoreFailure(CheckpointManifest m, RuntimeException e, CompletableFuture<Void> layersOk) {
        try {
            layersOk.join();
        } catch (CompletionException c) {
            if (c.getCause() instanceof CheckpointException ce) {
                return ce;
            }
        } catch (java.util.concurrent.CancellationException c) {
            // not verified; the launch failure stands
        }
        RuntimeException cause = e instanceof CompletionException && e.getCause() instanceof RuntimeException r ? r : e;
        if (cause instanceof HpcvirtException he && he.code() == ErrorCode.REFUSED && !(he instanceof CheckpointException)) {
            return new CheckpointException("checkpoint " + m.id() + " is corrupted: " + he.getMessage() + "; refusing to use it");
        }
        return cause;
    }

    /** The manifest's checksums of its disk layers, by relative path. */
    private static Map<String, CheckpointManifest.FileEntry> layerEntries(CheckpointManifest m) {
        Map<String, CheckpointManifest.FileEntry> out = new HashMap<>();
        for (CheckpointManifest.FileEntry f : m.files()) {
            if (m.layers().contains(f.path())) {
                out.put(f.path(), f);
            }
        }
        return out;
    }

    /** Forgets what the previous QEMU of {@code vm} said and moves it to STARTING. Caller holds the VM's lock. */
    private void enterStarting(LiveVm vm, VmEvent.Type type, String message, Map<String, Object> data) {
        resetForStart(vm);
        move(vm, VmState.STARTING, type, message, data);
    }

    /** The in-memory part of {@link #enterStarting}. Caller holds the VM's lock. */
    private static void resetForStart(LiveVm vm) {
        vm.guestShutdown = false;
        vm.bootTimeoutReported = false;
        vm.lastHeartbeat = null;
        vm.started = new CompletableFuture<>();
        vm.exited = new CompletableFuture<>();
    }

    /** Launches QEMU for a STARTING VM; if that fails, the VM is STOPPED again with an ERROR event saying {@code what} failed. */
    private Instance launchOrStop(LiveVm vm, Backend backend, LaunchSpec spec, String what) {
        try {
            return backend.launch(spec);
        } catch (HpcvirtException e) {
            publish(vm, VmEvent.Type.ERROR, what + " failed: " + e.getMessage(), Map.of());
            move(vm, VmState.STOPPED, VmEvent.Type.STATE_CHANGED, what + " failed", Map.of());
            throw e;
        }
    }

    private VmStatus awaitStarted(String name, CompletableFuture<VmState> started, boolean wait, Duration timeout, String doing) {
        if (!wait) {
            return status(name);
        }
        VmState s;
        try {
            s = started.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new HpcvirtException(ErrorCode.TIMEOUT, "VM '" + name + "': no heartbeat within " + timeout.toSeconds()
                    + " s; it is still STARTING (see 'hpcvirt vm console " + name + "')");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "interrupted");
        } catch (ExecutionException e) {
            throw new HpcvirtException(ErrorCode.INTERNAL, "start of " + name, e.getCause());
        }
        if (s != VmState.RUNNING) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "VM '" + name + "' became " + s + " while resuming");
        }
        return status(name);
    }

    /**
     * Pause-to-storage: checkpoints a RUNNING or PAUSED VM (tag {@code suspend}), stops its QEMU
     * and frees its memory. Ends in SUSPENDED; {@link #wake} brings it back.
     */
    public CheckpointManifest suspend(String name) {
        LiveVm vm = get(name);
        synchronized (vm) {
            VmState s = vm.record.state();
            if (s != VmState.RUNNING && s != VmState.PAUSED) {
                throw new HpcvirtException(ErrorCode.WRONG_STATE, "cannot suspend VM '" + name + "' in state " + s
                        + " (allowed in RUNNING, PAUSED)");
            }
            CheckpointManifest m = checkpointLocked(vm, false, CheckpointManifest.SUSPEND_TAG, false);
            releaseInstance(vm);
            move(vm, VmState.SUSPENDED, VmEvent.Type.STATE_CHANGED, "suspended to checkpoint " + m.id()
                    + "; QEMU stopped, memory freed", Map.of("checkpoint", m.id()));
            return m;
        }
    }

    /** Kills the VM's QEMU without the exit counting as a crash. Caller holds the VM's lock. */
    private void releaseInstance(LiveVm vm) {
        Instance inst = vm.instance;
        vm.generation++;
        closeChannel(vm);
        if (inst != null) {
            inst.kill();
            inst.close();
        }
        vm.instance = null;
        vm.record = vm.record.withProcess(0, 0, vm.record.runDir());
        store.update(vm.record);
        vm.exited.complete(null);
    }

    /** The newest suspend checkpoint of a SUSPENDED VM. */
    public CheckpointManifest suspendCheckpoint(String name) {
        LiveVm vm = get(name);
        if (vm.record.state() != VmState.SUSPENDED) {
            throw new HpcvirtException(ErrorCode.WRONG_STATE, "VM '" + name + "' is " + vm.record.state()
                    + ", not SUSPENDED (allowed in SUSPENDED)");
        }
        List<CheckpointManifest> mine = checkpoints.list(name).stream()
                .filter(c -> CheckpointManifest.SUSPEND_TAG.equals(c.tag())).toList();
        if (mine.isEmpty()) {
            throw HpcvirtException.notFound("suspend checkpoint of VM '" + name + "' in " + checkpoints.root());
        }
        return mine.get(mine.size() - 1);
    }

    /** Restores a SUSPENDED VM from its suspend checkpoint on this node. */
    public VmStatus wake(String name, boolean wait, Duration timeout) {
        long t0 = System.nanoTime();
        LiveVm vm = get(name);
        CompletableFuture<VmState> started;
        synchronized (vm) {
            CheckpointManifest m = suspendCheckpoint(name);
            checkpoints.checkPresent(m);
            started = launchRestored(vm, m, "waking from checkpoint " + m.id(), t0);
        }
        connectChannel(vm, vm.generation);
        return awaitStarted(name, started, wait, timeout, "resuming");
    }

    /**
     * Forgets a SUSPENDED VM that was woken on another node: its record and node-local files go,
     * its checkpoint and disk layers stay in the store.
     */
    public void handOver(String name, String where) {
        LiveVm vm = get(name);
        synchronized (vm) {
            if (vm.record.state() != VmState.SUSPENDED) {
                throw new HpcvirtException(ErrorCode.WRONG_STATE, "VM '" + name + "' is " + vm.record.state()
                        + " (allowed in SUSPENDED)");
            }
            publish(vm, VmEvent.Type.RESTORED, "woken on " + where + "; this node forgets it", Map.of("node", where));
        }
        destroy(name);
    }

    // ---------------------------------------------------------------- live migration

    /**
     * Live-migrates a RUNNING VM to the node behind {@code peer}, which then owns it. Steps: the
     * data disk is moved into the shared checkpoint store if it is not there yet (the destination
     * opens the same layer); the destination starts an identical QEMU waiting for the state; this
     * QEMU streams RAM with pre-copy, stops for the final pass, and the destination resumes; once the
     * destination reports RUNNING (a heartbeat there), this QEMU is killed and this node forgets the
     * VM (record and node-local files; the disk layers stay in the store). Every outcome is a
     * {@link VmEvent.Type#MIGRATION} event. The VM never runs on both nodes: if anything fails
     * before the switch-over the VM keeps running here; after it, this QEMU stays paused and is
     * resumed only when the destination confirmed its QEMU is gone, otherwise the VM stays PAUSED
     * here for an operator to decide. Holds the VM's lock throughout; blocks the caller.
     *
     * @throws HpcvirtException WRONG_STATE unless RUNNING, OPERATION_FAILED or TIMEOUT if the
     *         migration failed (the message says where the VM runs now)
     */
    public MigrationReport migrate(String name, MigrationPeer peer, org.hpcvirt.backend.Migratable.MigrateOptions options,
            Duration confirmTimeout) {
        long t0 = System.nanoTime();
        LiveVm vm = get(name);
        MigrationReport report;
        synchronized (vm) {
            if (vm.record.state() != VmState.RUNNING) {
                throw new HpcvirtException(ErrorCode.WRONG_STATE, "cannot migrate VM '" + name + "' in state "
                        + vm.record.state() + " (allowed in RUNNING)");
            }
            Instance inst = vm.instance;
            VmProfile p = vm.record.profile();
            org.hpcvirt.backend.Migratable mig = inst.capability(org.hpcvirt.backend.Migratable.class).orElseThrow(
                    () -> new HpcvirtException(ErrorCode.OPERATION_FAILED, "backend '" + p.backend() + "' cannot migrate"));
            Path disk = null;
            if (p.disk() != null) {
                DiskSnapshots ds = inst.capability(DiskSnapshots.class).orElseThrow(() -> new HpcvirtException(
                        ErrorCode.OPERATION_FAILED, "backend '" + p.backend() + "' cannot snapshot disks"));
                moveDiskToStore(vm, ds);
                disk = ds.topLayer(DATA_DRIVE).toAbsolutePath();
            }
            String to = peer.describe();
            move(vm, VmState.MIGRATING, VmEvent.Type.MIGRATION, "migrating to " + to, Map.of("to", to));
            MigrationPeer.IncomingMigration in;
            try {
                in = peer.prepareIncoming(p, disk, layout.home().toString(), options.channels());
            } catch (RuntimeException e) {
                vm.baselineNanos = System.nanoTime();
                move(vm, VmState.RUNNING, VmEvent.Type.MIGRATION, "migration to " + to + " failed: the destination could not prepare ("
                        + HpcvirtException.chain(e) + "); the VM keeps running here", Map.of("to", to, "outcome", "failed"));
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "migration of '" + name + "' to " + to
                        + " failed before streaming; the VM keeps running here", e);
            }
            publish(vm, VmEvent.Type.MIGRATION, "streaming to " + in.uri() + " (destination QEMU pid " + in.pid() + ")",
                    Map.of("to", to, "uri", in.uri(), "destinationPid", in.pid()));
            Checkpointable.SaveResult r;
            try {
                r = mig.migrate(in.uri(), options);
            } catch (RuntimeException e) {
                if (safeState(inst) == RunState.MIGRATED) {
                    throw failedAfterSwitchover(vm, peer, to, e);
                }
                boolean gone = abortQuietly(peer, name);
                boolean running = resumeAfterFailedStream(vm, inst);
                vm.baselineNanos = System.nanoTime();
                move(vm, running ? VmState.RUNNING : VmState.PAUSED, VmEvent.Type.MIGRATION, "migration to " + to
                        + " failed while streaming (" + HpcvirtException.chain(e) + "); "
                        + (running ? "the VM keeps running here" : "the VM is PAUSED here: resuming it failed")
                        + (gone ? "" : "; the destination did not confirm that its waiting QEMU is gone"),
                        Map.of("to", to, "outcome", "failed", "destinationCleaned", gone));
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "migration of '" + name + "' to " + to
                        + " failed; the VM keeps running here", e);
            }
            long streamed = System.nanoTime();
            VmStatus dest;
            long pauseMs;
            try {
                peer.resumeIncoming(name, confirmTimeout);
                pauseMs = r.downtimeMs() + (System.nanoTime() - streamed) / 1_000_000;
                dest = peer.awaitRunning(name, confirmTimeout);
            } catch (RuntimeException e) {
                throw failedAfterSwitchover(vm, peer, to, e);
            }
            releaseInstance(vm);
            long elapsed = (System.nanoTime() - t0) / 1_000_000;
            report = new MigrationReport(name, to, in.uri(), r.totalMs(), r.downtimeMs(), pauseMs, r.bytes(), elapsed, dest);
            Map<String, Object> d = new HashMap<>();
            d.put("to", to);
            d.put("outcome", "completed");
            d.put("totalMs", r.totalMs());
            d.put("downtimeMs", r.downtimeMs());
            d.put("pauseMs", pauseMs);
            d.put("bytes", r.bytes());
            d.put("elapsedMs", elapsed);
            d.put("destinationPid", dest.pid());
            move(vm, VmState.STOPPED, VmEvent.Type.MIGRATION, "migrated to " + to + ": total " + r.totalMs() + " ms, downtime "
                    + r.downtimeMs() + " ms (guest paused ≤ " + pauseMs + " ms), " + String.format("%.1f MiB", r.bytes() / 1048576.0)
                    + "; running there as pid " + dest.pid() + "; this node forgets the VM", d);
            forget(vm, "migrated to " + to + "; record and node-local files removed here (disk layers stay in the store)");
        }
        return report;
    }

    /**
     * The source's state is already on its way (or there): resume here only if the destination
     * proved its QEMU gone, else stay PAUSED. Caller holds the VM's lock. Returns the exception to throw.
     */
    private HpcvirtException failedAfterSwitchover(LiveVm vm, MigrationPeer peer, String to, RuntimeException cause) {
        boolean gone = abortQuietly(peer, vm.name());
        if (gone) {
            try {
                pausable(vm).resume();
                vm.baselineNanos = System.nanoTime();
                move(vm, VmState.RUNNING, VmEvent.Type.MIGRATION, "destination " + to + " failed after the switch-over ("
                        + HpcvirtException.chain(cause) + "); its QEMU is confirmed gone; resumed here",
                        Map.of("to", to, "outcome", "failed-after-switchover", "resumedHere", true));
                return new HpcvirtException(ErrorCode.OPERATION_FAILED, "migration of '" + vm.name() + "' to " + to
                        + " failed after the switch-over; the destination's QEMU is gone and the VM runs here again", cause);
            } catch (HpcvirtException e) {
                cause.addSuppressed(e);
            }
        }
        move(vm, VmState.PAUSED, VmEvent.Type.MIGRATION, "destination " + to + " failed after the switch-over ("
                + HpcvirtException.chain(cause) + "); " + (gone ? "resuming here failed" : "it did not confirm that its QEMU is gone")
                + ": the VM stays PAUSED here so that it never runs twice; check " + to
                + ", then resume or destroy it here", Map.of("to", to, "outcome", "failed-after-switchover", "resumedHere", false));
        return new HpcvirtException(ErrorCode.OPERATION_FAILED, "migration of '" + vm.name() + "' to " + to
                + " failed after the switch-over; the VM is PAUSED here until someone checks the destination", cause);
    }

    /**
     * QEMU resumes a source whose stream failed by itself, a moment after reporting the failure;
     * give it that moment, then send {@code cont}. Caller holds the VM's lock.
     */
    private boolean resumeAfterFailedStream(LiveVm vm, Instance inst) {
        long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        while (safeState(inst) != RunState.RUNNING && System.nanoTime() < deadline) {
            java.util.concurrent.locks.LockSupport.parkNanos(5_000_000L);
        }
        if (safeState(inst) == RunState.RUNNING) {
            return true;
        }
        try {
            pausable(vm).resume();
            return true;
        } catch (HpcvirtException e) {
            return false;
        }
    }

    private static boolean abortQuietly(MigrationPeer peer, String vm) {
        try {
            return peer.abortIncoming(vm);
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Removes a VM whose QEMU is released from this node, keeping the store. Caller holds the VM's lock. */
    private void forget(LiveVm vm, String message) {
        vm.generation++;
        closeChannel(vm);
        DirectoryTree.delete(layout.runDir(vm.name()));
        DirectoryTree.delete(layout.vmDir(vm.name()));
        store.delete(vm.name());
        vms.remove(vm.name());
        vm.record = vm.record.with(VmState.DESTROYED);
        bus.publish(VmEvent.of(vm.name(), VmEvent.Type.DESTROYED, VmState.DESTROYED, message));
    }

    /**
     * Destination side of a live migration: defines {@code profile}'s VM here (the name must be
     * free) and starts its QEMU with the same virtual hardware, opening {@code disk} (a layer in the
     * shared store, or null without a data disk), vCPUs stopped, listening on {@code listenHost}
     * (this node's address as the source reaches it) on a free port for {@code channels} parallel
     * connections (the source's number). The VM is STARTING until
     * {@link #resumeIncoming} and its first heartbeat. On failure nothing is left behind.
     */
    public MigrationPeer.IncomingMigration prepareIncoming(VmProfile profile, Path disk, String listenHost, String from, int channels) {
        if ((profile.disk() == null) != (disk == null)) {
            throw HpcvirtException.invalid("incoming migration of '" + profile.name() + "': a disk is needed exactly when the profile has one");
        }
        if (disk != null) {
            for (Path l : Qcow2.chain(disk)) {
                if (!Files.isRegularFile(l)) {
                    throw new HpcvirtException(ErrorCode.NOT_FOUND, "incoming migration of '" + profile.name() + "' needs " + l
                            + ", which this node does not see (is the checkpoint store shared at the same path?)");
                }
            }
        }
        org.hpcvirt.backend.IncomingLaunch il = backends.usable(profile.backend()).capability(org.hpcvirt.backend.IncomingLaunch.class)
                .orElse(null);
        if (il == null) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "backend '" + profile.backend() + "' cannot receive a migration");
        }
        define(profile);
        String name = profile.name();
        LiveVm vm = get(name);
        String uri;
        try {
            synchronized (vm) {
                Image image = images.get(profile.image());
                if (disk != null) {
                    linkDataDisk(name, disk);
                }
                enterStarting(vm, VmEvent.Type.MIGRATION, "incoming migration from " + from, Map.of("from", from));
                Instance inst = il.launchIncoming(new LaunchSpec(profile, layout.runDir(name), image.kernel(), image.initramfs(),
                        disk, null, false));
                adopt(vm, inst);
                uri = inst.capability(org.hpcvirt.backend.Migratable.class).orElseThrow(() -> new HpcvirtException(
                        ErrorCode.OPERATION_FAILED, "backend '" + profile.backend() + "' cannot receive a migration"))
                        .acceptIncoming("tcp:" + listenHost + ":0", channels);
                publish(vm, VmEvent.Type.MIGRATION, "waiting for the state on " + uri + " (QEMU pid " + inst.pid() + ")",
                        Map.of("uri", uri, "pid", inst.pid()));
            }
        } catch (RuntimeException e) {
            try {
                publish(vm, VmEvent.Type.ERROR, "incoming migration failed: " + HpcvirtException.chain(e), Map.of());
                destroy(name);
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        connectChannel(vm, vm.generation);
        return new MigrationPeer.IncomingMigration(name, uri, vm.record.pid());
    }

    /**
     * Destination side: waits until the incoming state is loaded, then starts the vCPUs. Allowed
     * in STARTING after {@link #prepareIncoming}.
     *
     * @return milliseconds spent waiting for the end of the stream
     */
    public long resumeIncoming(String name, Duration timeout) {
        LiveVm vm = get(name);
        synchronized (vm) {
            Instance inst = vm.instance;
            if (vm.record.state() != VmState.STARTING || inst == null) {
                throw new HpcvirtException(ErrorCode.WRONG_STATE, "VM '" + name + "' is " + vm.record.state()
                        + ", not waiting for an incoming migration (allowed in STARTING)");
            }
            long t0 = System.nanoTime();
            inst.capability(org.hpcvirt.backend.Migratable.class).orElseThrow().awaitIncomingAndResume(timeout);
            vm.baselineNanos = System.nanoTime();
            long ms = (System.nanoTime() - t0) / 1_000_000;
            publish(vm, VmEvent.Type.MIGRATION, "incoming state loaded; vCPUs resumed (waited " + ms + " ms for the end of the stream)",
                    Map.of("waitedMs", ms));
            return ms;
        }
    }

    /** Destination side: waits until the migrated VM is RUNNING (its first heartbeat here). */
    public VmStatus awaitIncomingRunning(String name, Duration timeout) {
        return awaitStarted(name, get(name).started, true, timeout, "taking over");
    }

    /**
     * Destination side: kills the QEMU of an incoming migration and forgets the VM.
     *
     * @return true if no QEMU of that VM is left on this node (also when the VM is unknown here)
     */
    public boolean abortIncoming(String name) {
        LiveVm vm = vms.get(name);
        if (vm == null) {
            return true;
        }
        Instance inst = vm.instance;
        publish(vm, VmEvent.Type.MIGRATION, "incoming migration aborted by the source", Map.of("outcome", "aborted"));
        destroy(name);
        return inst == null || !inst.isAlive();
    }

    // ---------------------------------------------------------------- internals

    private LiveVm get(String name) {
        LiveVm vm = vms.get(name);
        if (vm == null) {
            throw HpcvirtException.notFound("VM '" + name + "'");
        }
        return vm;
    }

    private void require(LiveVm vm, VmState target, String action) {
        VmState s = vm.record.state();
        if (!s.canMoveTo(target)) {
            List<String> allowed = new ArrayList<>();
            for (VmState from : VmState.values()) {
                if (from.canMoveTo(target)) {
                    allowed.add(from.name());
                }
            }
            throw new HpcvirtException(ErrorCode.WRONG_STATE, "cannot " + action + " VM '" + vm.name() + "' in state " + s
                    + " (allowed in " + String.join(", ", allowed) + ")");
        }
    }

    private Pausable pausable(LiveVm vm) {
        Instance inst = vm.instance;
        if (inst == null) {
            throw new HpcvirtException(ErrorCode.WRONG_STATE, "VM '" + vm.name() + "' has no running QEMU");
        }
        return inst.capability(Pausable.class).orElseThrow(() -> new HpcvirtException(ErrorCode.OPERATION_FAILED,
                "backend '" + vm.record.profile().backend() + "' cannot pause"));
    }

    private GuestChannel channelFor(String name, String action) {
        LiveVm vm = get(name);
        VmState s = vm.record.state();
        if (s != VmState.RUNNING) {
            throw new HpcvirtException(ErrorCode.WRONG_STATE, "cannot " + action + " in VM '" + name + "' in state " + s
                    + " (allowed in RUNNING)");
        }
        GuestChannel ch = vm.channel;
        if (ch == null) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "VM '" + name + "': guest agent not connected");
        }
        return ch;
    }

    private Path ensureDataDisk(Image image, VmProfile p) {
        Path disk = layout.vmDir(p.name()).resolve("data.qcow2");
        if (!Files.exists(disk)) {
            try {
                Files.createDirectories(disk.getParent());
            } catch (IOException e) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot create " + disk.getParent(), e);
            }
            images.createDataDisk(image, disk, p.disk().sizeBytes());
        }
        return disk;
    }

    /** Makes {@code inst} the VM's current instance and routes its events. Caller holds the VM's lock. */
    private void adopt(LiveVm vm, Instance inst) {
        adopt(vm, inst, true);
    }

    /** Makes {@code inst} the VM's QEMU; without {@code persist} the caller stores the record soon after. */
    private void adopt(LiveVm vm, Instance inst, boolean persist) {
        long gen = ++vm.generation;
        vm.instance = inst;
        vm.exited = vm.exited.isDone() ? new CompletableFuture<>() : vm.exited;
        vm.baselineNanos = System.nanoTime();
        vm.record = vm.record.withProcess(inst.pid(), inst.record().startTicks(), inst.record().runDir());
        if (persist) {
            store.update(vm.record);
        }
        inst.addListener((kind, evName, data) -> instanceEvents.execute(() -> onInstanceEvent(vm, gen, kind, data)));
    }

    private void onInstanceEvent(LiveVm vm, long gen, InstanceListener.Kind kind, Map<String, Object> data) {
        if (gen != vm.generation) {
            return;
        }
        switch (kind) {
            case GUEST_PANICKED -> {
                synchronized (vm) {
                    if (gen == vm.generation) {
                        move(vm, VmState.PANICKED, VmEvent.Type.GUEST_PANICKED,
                                "guest kernel panicked; QEMU kept paused for inspection", data);
                        vm.started.complete(VmState.PANICKED);
                    }
                }
            }
            case SHUTDOWN -> {
                vm.guestShutdown = true;
                publish(vm, VmEvent.Type.GUEST_SHUTDOWN, "guest powered off (" + data.getOrDefault("reason", "?") + ")", data);
            }
            case EXITED -> onExited(vm, gen, data);
            default -> { }
        }
    }

    private void onExited(LiveVm vm, long gen, Map<String, Object> data) {
        synchronized (vm) {
            if (gen != vm.generation || vm.instance == null && vm.record.state() != VmState.STOPPING) {
                return;
            }
            closeChannel(vm);
            Instance inst = vm.instance;
            if (inst != null) {
                inst.close();
            }
            vm.instance = null;
            VmState s = vm.record.state();
            vm.record = vm.record.withProcess(0, 0, vm.record.runDir());
            Map<String, Object> d = new HashMap<>(data);
            if (s == VmState.STOPPING || vm.guestShutdown) {
                move(vm, VmState.STOPPED, VmEvent.Type.QEMU_EXITED,
                        s == VmState.STOPPING ? "QEMU exited; VM stopped" : "QEMU exited after the guest powered off", d);
            } else if (s.canMoveTo(VmState.CRASHED)) {
                move(vm, VmState.CRASHED, VmEvent.Type.QEMU_EXITED, "QEMU exited unexpectedly"
                        + (d.containsKey("exitCode") ? " (exit code " + d.get("exitCode") + ")" : " (killed?)"), d);
            } else {
                store.update(vm.record);
            }
            vm.started.complete(vm.record.state());
            vm.exited.complete(null);
        }
    }

    private void connectChannel(LiveVm vm, long gen) {
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
                closeChannel(vm);
                vm.channel = ch;
            }
        } catch (HpcvirtException e) {
            if (gen == vm.generation && inst.isAlive()) {
                scheduler.schedule(() -> connectChannel(vm, gen), 200, TimeUnit.MILLISECONDS);
            }
        }
    }

    private void closeChannel(LiveVm vm) {
        GuestChannel ch = vm.channel;
        vm.channel = null;
        if (ch != null) {
            ch.close();
        }
    }

    private void onBeat(LiveVm vm, long gen, Heartbeat hb) {
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
                    move(vm, VmState.RUNNING, VmEvent.Type.STATE_CHANGED, "first heartbeat (seq " + hb.seq() + ", guest uptime "
                            + hb.uptimeMs() + " ms)", Map.of("seq", hb.seq()));
                    vm.started.complete(VmState.RUNNING);
                } else if (vm.record.state() == VmState.HUNG) {
                    move(vm, VmState.RUNNING, VmEvent.Type.HEARTBEAT_RESUMED, "heartbeats resumed (seq " + hb.seq() + ")",
                            Map.of("seq", hb.seq()));
                }
            }
        }
    }

    private void checkHeartbeats() {
        long now = System.nanoTime();
        for (LiveVm vm : vms.values()) {
            try {
                VmState s = vm.record.state();
                long since = Math.max(vm.lastHeartbeatNanos, vm.baselineNanos);
                long ageMs = (now - since) / 1_000_000;
                if (s == VmState.RUNNING && ageMs > vm.record.profile().heartbeatTimeout().toMillis()) {
                    synchronized (vm) {
                        long again = (System.nanoTime() - Math.max(vm.lastHeartbeatNanos, vm.baselineNanos)) / 1_000_000;
                        if (vm.record.state() == VmState.RUNNING && again > vm.record.profile().heartbeatTimeout().toMillis()) {
                            Heartbeat hb = vm.lastHeartbeat;
                            move(vm, VmState.HUNG, VmEvent.Type.HEARTBEAT_LOST, "no heartbeat for " + again + " ms (timeout "
                                    + vm.record.profile().heartbeatTimeout().toMillis() + " ms); guest hung?",
                                    Map.of("lastSeq", hb == null ? -1 : hb.seq(), "silentMs", again));
                        }
                    }
                } else if (s == VmState.STARTING && !vm.bootTimeoutReported && ageMs > BOOT_WARNING.toMillis()) {
                    vm.bootTimeoutReported = true;
                    publish(vm, VmEvent.Type.ERROR, "no heartbeat " + BOOT_WARNING.toSeconds() + " s after start", Map.of());
                }
            } catch (RuntimeException e) {
                // keep watching the other VMs
            }
        }
    }

    /** Validated transition + persistence + event. Caller holds the VM's lock. */
    private void move(LiveVm vm, VmState to, VmEvent.Type type, String message, Map<String, Object> data) {
        VmState from = vm.record.state();
        if (!from.canMoveTo(to)) {
            throw new HpcvirtException(ErrorCode.INTERNAL, "illegal transition " + from + " → " + to + " of " + vm.name());
        }
        vm.record = vm.record.with(to);
        store.update(vm.record);
        Map<String, Object> d = new HashMap<>(data);
        d.put("from", from.name());
        bus.publish(VmEvent.of(vm.name(), type, to, message, d));
    }

    private void publish(LiveVm vm, VmEvent.Type type, String message, Map<String, Object> data) {
        bus.publish(VmEvent.of(vm.name(), type, vm.record.state(), message, data));
    }

    private VmStatus toStatus(LiveVm vm) {
        VmRecord r = vm.record;
        Heartbeat hb = vm.lastHeartbeat;
        GuestChannel ch = vm.channel;
        long garbage = 0;
        if (ch != null && ch.stats() != null) {
            GuestChannel.Stats st = ch.stats();
            garbage = st.garbageLines() + st.rateLimited() + st.oversize();
        }
        return new VmStatus(r.name(), r.state(), r.profile().backend(), r.profile().cpus(), r.profile().memoryBytes(), r.pid(),
                hb == null ? -1 : hb.seq(), hb == null ? -1 : (System.nanoTime() - vm.lastHeartbeatNanos) / 1_000_000,
                hb == null ? -1 : hb.uptimeMs(), hb == null ? -1 : hb.load(), garbage, r.updated());
    }


    /** Stops watching; every QEMU keeps running. */
    @Override
    public void close() {
        scheduler.shutdownNow();
        instanceEvents.shutdownNow();
        verifier.shutdownNow();
        for (LiveVm vm : vms.values()) {
            synchronized (vm) {
                vm.generation++;
                closeChannel(vm);
                Instance inst = vm.instance;
                if (inst != null) {
                    inst.close();
                }
            }
        }
    }
}
