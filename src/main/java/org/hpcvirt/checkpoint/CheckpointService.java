package org.hpcvirt.checkpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Operation;
import org.hpcvirt.api.VmEvent;
import org.hpcvirt.api.VmState;
import org.hpcvirt.backend.Capability;
import org.hpcvirt.backend.Checkpointable;
import org.hpcvirt.backend.DiskSnapshots;
import org.hpcvirt.backend.Instance;
import org.hpcvirt.backend.RunState;
import org.hpcvirt.guest.GuestChannel;
import org.hpcvirt.guest.Heartbeat;
import org.hpcvirt.profile.VmProfile;
import org.hpcvirt.vm.InstanceWatch;
import org.hpcvirt.vm.ManagedVm;
import org.hpcvirt.vm.Preconditions;
import org.hpcvirt.vm.VmRegistry;

/**
 * Taking checkpoints of running VMs: RAM and device state through the backend's
 * {@link Checkpointable}, disk state as frozen qcow2 layers of the data disk through
 * {@link DiskSnapshots} (the first checkpoint moves the disk's top layer into the store; later ones
 * only add what changed; chains are flattened after {@link #setMaxDiskLayers} frozen layers, in the
 * background), and pause-to-storage ({@link #suspend}). A checkpoint is listed only once complete
 * and fsynced. Thread-safe: each operation holds its VM's monitor; a background flatten holds none
 * (pause, status and stop are never blocked by it), and the operations that change the disk's
 * chain wait for it first ({@link #awaitDiskJobs}). Closed by the composition root.
 */
public final class CheckpointService implements AutoCloseable {
    /** Backend drive id of the per-VM data disk. */
    public static final String DATA_DRIVE = "data";

    private final VmRegistry vms;
    private final InstanceWatch watch;
    private final CheckpointStore store;
    private volatile int maxDiskLayers = org.hpcvirt.api.NodeConfig.DEFAULT_MAX_DISK_LAYERS;
    /**
     * Size and SHA-256 of the frozen disk layers each VM's disk sits on, by store-relative path, as
     * recorded when they were frozen. Frozen layers never change, so a new checkpoint copies these
     * instead of reading the layers again.
     */
    private final Map<String, Map<String, CheckpointManifest.FileEntry>> knownLayers = new ConcurrentHashMap<>();
    /** Disk-chain flattening in progress, by VM name. */
    private final Map<String, java.util.concurrent.CompletableFuture<Void>> diskJobs = new ConcurrentHashMap<>();
    private final java.util.concurrent.ExecutorService flattener = java.util.concurrent.Executors.newCachedThreadPool(
            org.hpcvirt.api.DaemonThreads.named("disk-flatten"));

    public CheckpointService(VmRegistry vms, InstanceWatch watch, CheckpointStore store) {
        this.vms = vms;
        this.watch = watch;
        this.store = store;
    }

    public CheckpointStore store() {
        return store;
    }

    /**
     * After a checkpoint whose disk chain has {@code n} or more frozen layers, the running disk is
     * flattened onto its image base so that the next checkpoint starts a new chain. 1 makes every
     * checkpoint a full one.
     *
     * @throws HpcvirtException INVALID_INPUT unless 1 ≤ n ≤ 10000
     */
    public void setMaxDiskLayers(int n) {
        maxDiskLayers = org.hpcvirt.api.NodeConfig.checkedMaxDiskLayers(n);
    }

    /** See {@link Operation.Checkpoint}. */
    public CheckpointManifest checkpoint(Operation.Checkpoint op) {
        ManagedVm vm = vms.get(op.name());
        return withSettledChain(vm, () -> {
            Preconditions.require(Operation.Checkpoint.class, vm.name(), vm.state());
            return capture(vm, op.live(), op.tag(), true);
        });
    }

    /**
     * Runs {@code body} holding the VM's monitor once no background job changes its disk chain:
     * waits for such a job without the monitor, and refuses with WRONG_STATE if one is still
     * running after the third wait (it hangs).
     */
    private <T> T withSettledChain(ManagedVm vm, java.util.function.Supplier<T> body) {
        for (int attempt = 1; ; attempt++) {
            awaitDiskJobs(vm.name());
            synchronized (vm) {
                if (!diskJobRunning(vm.name())) {
                    return body.get();
                }
                if (attempt >= 3) {
                    throw new HpcvirtException(ErrorCode.WRONG_STATE, "the disk chain of VM '" + vm.name() + "' is still being"
                            + " flattened after a checkpoint; try again when that is done");
                }
            }
        }
    }

    /**
     * Waits, without holding the VM's monitor, until no background job changes the VM's disk
     * chain; callers that change the chain (checkpoint, suspend, migration) call it first and check
     * {@link #diskJobRunning} again under the monitor.
     */
    public void awaitDiskJobs(String vm) {
        java.util.concurrent.CompletableFuture<Void> job = diskJobs.get(vm);
        if (job != null) {
            try {
                job.get(FLATTEN_TIMEOUT.toMinutes() + 1, java.util.concurrent.TimeUnit.MINUTES);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                // reported by the job itself; the caller goes on with the chain as it is
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "interrupted while the disk chain of " + vm + " was flattened");
            }
        }
    }

    /** True while a background job changes the VM's disk chain. */
    public boolean diskJobRunning(String vm) {
        java.util.concurrent.CompletableFuture<Void> job = diskJobs.get(vm);
        return job != null && !job.isDone();
    }

    /** See {@link Operation.Suspend}: a paused checkpoint tagged {@code suspend}, then the VMM process is stopped. */
    public CheckpointManifest suspend(Operation.Suspend op) {
        ManagedVm vm = vms.get(op.name());
        return withSettledChain(vm, () -> {
            Preconditions.require(Operation.Suspend.class, vm.name(), vm.state());
            CheckpointManifest m = capture(vm, false, CheckpointManifest.SUSPEND_TAG, false);
            watch.release(vm);
            vms.move(vm, VmState.SUSPENDED, VmEvent.Type.STATE_CHANGED, "suspended to checkpoint " + m.id()
                    + "; QEMU stopped, memory freed", Map.of("checkpoint", m.id()));
            return m;
        });
    }

    /** Remembers the checksums of a checkpoint's disk layers as those the VM's disk now sits on. */
    void rememberLayers(String vm, CheckpointManifest m) {
        Map<String, CheckpointManifest.FileEntry> out = new HashMap<>();
        for (CheckpointManifest.FileEntry f : m.files()) {
            if (m.layers().contains(f.path())) {
                out.put(f.path(), f);
            }
        }
        knownLayers.put(vm, out);
    }

    /** Writes the checkpoint; the caller holds the VM's monitor and checked the state. */
    private CheckpointManifest capture(ManagedVm vm, boolean live, String tag, boolean resumeAfter) {
        VmState s = vm.state();
        Instance inst = vm.instance();
        VmProfile p = vm.profile();
        Checkpointable cp = inst.capability(Checkpointable.class).orElseThrow(
                () -> vms.backends().lacking(p.backend(), Checkpointable.class, "checkpointing '" + vm.name() + "'"));
        DiskSnapshots ds = p.disk() == null ? null : inst.capability(DiskSnapshots.class).orElseThrow(
                () -> vms.backends().lacking(p.backend(), DiskSnapshots.class, "checkpointing the data disk of '" + vm.name() + "'"));
        Heartbeat hb = vm.lastHeartbeat();
        long counter = -1;
        GuestChannel ch = vm.channel();
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
        CheckpointStore.Pending pend = store.begin(vm.name());
        Path newTop = ds == null ? null : store.newLayer(vm.name());
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
            // resume the guest the moment its state is written, before the backend's statistics are read
            Runnable atCompletion = () -> {
                completedAt[0] = System.nanoTime();
                if (s == VmState.RUNNING && resumeAfter) {
                    InstanceWatch.pausable(vm).resume();
                    vm.markResumed();
                }
                resumedAt[0] = System.nanoTime();
            };
            r = cp.saveState(pend.stateFile(), live ? Checkpointable.SaveOptions.liveCopy() : Checkpointable.SaveOptions.paused(),
                    ds == null ? null : () -> ds.snapshotDisk(DATA_DRIVE, newTop, node), atCompletion);
            long resumeLagMs = (resumedAt[0] - completedAt[0]) / 1_000_000;
            totalMs = (completedAt[0] - t0) / 1_000_000;
            // the backend's own stop→resume interval when it has one (rounded up); else what we saw from here
            pauseMs = r.pauseMicros() >= 0 ? (r.pauseMicros() + 999) / 1000
                    : live ? r.downtimeMs() + resumeLagMs : (resumedAt[0] - t0) / 1_000_000;
        } catch (RuntimeException e) {
            store.abort(pend);
            if (ds != null) {
                ds.discardPrepared(node, newTop);
                if (Files.exists(newTop)) {
                    // the snapshot was taken before the failure: the disk now writes to the new layer
                    vms.linkDataDisk(vm.name(), newTop);
                }
            }
            if (s == VmState.RUNNING && InstanceWatch.runState(inst) != RunState.RUNNING) {
                try {
                    InstanceWatch.pausable(vm).resume();
                } catch (HpcvirtException ignored) {
                    // reported below
                }
            }
            vms.publish(vm, VmEvent.Type.ERROR, "checkpoint failed: " + e.getMessage(), Map.of());
            throw e;
        }
        if (ds != null) {
            vms.linkDataDisk(vm.name(), newTop);
        }
        CheckpointManifest m = manifest(vm, pend, r, frozen, live, tag, pauseMs, totalMs, hb, counter);
        try {
            store.commit(pend, m);
        } catch (RuntimeException e) {
            store.abort(pend);
            vms.publish(vm, VmEvent.Type.ERROR, "checkpoint failed: " + e.getMessage(), Map.of());
            throw e;
        }
        rememberLayers(vm.name(), m);
        if (ds != null && m.layers().size() >= maxDiskLayers && m.imageBase() != null && resumeAfter) {
            startBoundChain(vm, ds, m.layers().size());
        }
        vms.publish(vm, VmEvent.Type.CHECKPOINT, "checkpoint " + m.id() + (live ? " (live)" : "") + ": guest paused " + pauseMs
                + " ms, " + String.format("%.1f MiB", m.stateBytes() / 1048576.0) + " state, " + m.layers().size() + " disk layer(s)",
                Map.of("checkpoint", m.id(), "pauseMs", pauseMs, "stateBytes", m.stateBytes(), "live", live,
                        "durationMs", (System.nanoTime() - t0) / 1_000_000, "qemuDowntimeMs", r.downtimeMs(),
                        "captureMs", totalMs, "pauseMicros", r.pauseMicros(), "pausePhasesMicros", r.phases()));
        return m;
    }

    private CheckpointManifest manifest(ManagedVm vm, CheckpointStore.Pending pend, Checkpointable.SaveResult r, Path frozen,
            boolean live, String tag, long pauseMs, long totalMs, Heartbeat hb, long counter) {
        VmProfile p = vm.profile();
        List<CheckpointManifest.FileEntry> files = new ArrayList<>();
        String state = store.relative(pend.stateFile()).replaceFirst("^[^/]+/", pend.id() + "/");
        // the backend hashed the state while writing it; read it back only if it did not
        CheckpointManifest.FileEntry stateEntry = r.sha256() != null ? new CheckpointManifest.FileEntry(state, r.fileBytes(), r.sha256())
                : store.describe(pend.stateFile());
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
                String rel = store.relative(l);
                layers.add(rel);
                files.add(frozenLayerEntry(vm.name(), rel, l));
            }
            diskBytes = Qcow2.virtualSize(frozen);
        }
        return new CheckpointManifest(CheckpointManifest.FORMAT, pend.id(), vm.name(), tag, Instant.now(), p, p.backend(),
                vms.backends().get(p.backend()).probe().version(), live, pauseMs, totalMs, files.get(0).size(),
                hb == null ? -1 : hb.seq(), counter, hb == null ? -1 : hb.uptimeMs(), imageBase, diskBytes, layers, files, vm.owner());
    }

    /** Longest a background flatten may take. */
    private static final Duration FLATTEN_TIMEOUT = Duration.ofMinutes(30);

    /**
     * Keeps the running disk's chain short: in the background, copies what the frozen layers hold
     * into the writable top (guest running) so the chain becomes image base ← top. The backend's
     * work around every pause grows with the chain, as does every disk read that misses the top;
     * copying a multi-GiB disk takes long, so it runs without the VM's monitor (pause, status and
     * stop go on meanwhile; the next checkpoint, suspend or migration waits for it). If streaming
     * fails the VM keeps its long chain and runs on; the failure is an ERROR event (none if the VM's
     * VMM process went away meanwhile), the checkpoint itself is complete. Caller holds the monitor.
     */
    private void startBoundChain(ManagedVm vm, DiskSnapshots ds, int frozen) {
        long generation = vm.generation();
        // the base by the name the backend opened it (see moveDiskToStore)
        List<String> chain = ds.chain(DATA_DRIVE);
        String base = chain.get(chain.size() - 1);
        java.util.concurrent.CompletableFuture<Void> job = new java.util.concurrent.CompletableFuture<>();
        diskJobs.put(vm.name(), job);
        try {
            flattener.execute(() -> {
                long t0 = System.nanoTime();
                try {
                    ds.flatten(DATA_DRIVE, base, Path.of(base), FLATTEN_TIMEOUT);
                    vms.publish(vm, VmEvent.Type.CHECKPOINT, "disk chain shortened: " + frozen + " frozen layer(s) copied into the top"
                            + " layer in " + (System.nanoTime() - t0) / 1_000_000 + " ms; the next checkpoint stores the whole disk",
                            Map.of("layersMerged", frozen, "ms", (System.nanoTime() - t0) / 1_000_000));
                } catch (RuntimeException e) {
                    if (vm.generation() == generation) {
                        vms.publish(vm, VmEvent.Type.ERROR, "could not shorten the disk chain (" + frozen + " layers): " + e.getMessage(),
                                Map.of());
                    }
                } finally {
                    diskJobs.remove(vm.name(), job);
                    job.complete(null);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            diskJobs.remove(vm.name(), job);
            job.complete(null);
        }
    }

    /**
     * The VM's writable top disk layer if it lives in the store (it does once the VM was
     * checkpointed, migrated or restored), else null. Read before a destroy: the link goes with it.
     */
    public Path storeTopLayer(String vm) {
        Path link = vms.dataDisk(vm);
        try {
            if (!Files.isSymbolicLink(link)) {
                return null;
            }
            Path target = Files.readSymbolicLink(link).toAbsolutePath().normalize();
            return target.startsWith(store.layersDir().toAbsolutePath().normalize()) ? target : null;
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * After a destroy: deletes what was the VM's writable top layer unless a checkpoint lists it
     * (then it was frozen meanwhile and belongs to that checkpoint). Without this, every destroyed
     * VM that had a checkpoint left its top layer in the store forever. Only a destroy calls it: a
     * migrated VM's top layer is the destination's disk now, and a forgotten incoming VM's belongs
     * to its source.
     *
     * @return true if the layer was deleted
     */
    public boolean deleteFormerTopLayer(String vm, Path layer) {
        if (layer == null || !Files.exists(layer)) {
            return false;
        }
        String rel = store.relative(layer);
        for (CheckpointManifest m : store.list(null)) {
            if (m.layers().contains(rel)) {
                return false;
            }
        }
        try {
            Files.deleteIfExists(layer);
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "VM '" + vm + "' is destroyed, but its disk layer " + layer
                    + " could not be deleted", e);
        }
        knownLayers.remove(vm);
        return true;
    }

    @Override
    public void close() {
        flattener.shutdownNow();
    }

    /** A frozen layer's size and SHA-256: as recorded when it was frozen if known and its size is unchanged, else read. */
    private CheckpointManifest.FileEntry frozenLayerEntry(String vm, String rel, Path layer) {
        CheckpointManifest.FileEntry known = knownLayers.getOrDefault(vm, Map.of()).get(rel);
        try {
            if (known != null && Files.size(layer) == known.size()) {
                return known;
            }
        } catch (IOException e) {
            // read it below, which reports the problem
        }
        return store.describe(layer);
    }

    /**
     * Makes the data disk's top layer live in the checkpoint store: freezes the node-local top onto
     * a new store layer, then copies the local layer's clusters up into it so the chain becomes
     * image base ← store layer and the local file can go. The guest keeps running. Used before the
     * first checkpoint and before a live migration (the destination opens the same layer). Caller
     * holds the VM's monitor.
     */
    public void moveDiskToStore(ManagedVm vm, DiskSnapshots ds) {
        List<String> chain = ds.chain(DATA_DRIVE);
        Path top = Path.of(chain.get(0)).toAbsolutePath().normalize();
        if (top.startsWith(store.root())) {
            return;
        }
        if (chain.size() < 2) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "data disk of '" + vm.name() + "' has no base image");
        }
        // The base keeps the name the backend opened it by (a different name would make QEMU describe
        // the chain in json: filenames); the daemon opens images by their real path for this reason.
        String base = chain.get(chain.size() - 1);
        Path layer = store.newLayer(vm.name());
        ds.snapshotDisk(DATA_DRIVE, layer, "hv" + Long.toHexString(System.nanoTime()));
        vms.linkDataDisk(vm.name(), layer);
        ds.flatten(DATA_DRIVE, base, Path.of(base), Duration.ofMinutes(10));
        vms.publish(vm, VmEvent.Type.CHECKPOINT, "data disk moved to the checkpoint store (" + store.relative(layer) + ")",
                Map.of("layer", store.relative(layer)));
    }
}
