package org.hpcvirt.checkpoint;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import org.hpcvirt.api.DaemonThreads;
import org.hpcvirt.api.DirectoryTree;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Operation;
import org.hpcvirt.api.OperationClient;
import org.hpcvirt.api.VmEvent;
import org.hpcvirt.api.VmState;
import org.hpcvirt.backend.Backend;
import org.hpcvirt.backend.Instance;
import org.hpcvirt.backend.LaunchSpec;
import org.hpcvirt.guest.Image;
import org.hpcvirt.guest.ImageStore;
import org.hpcvirt.profile.VmProfile;
import org.hpcvirt.vm.InstanceWatch;
import org.hpcvirt.vm.ManagedVm;
import org.hpcvirt.vm.Preconditions;
import org.hpcvirt.vm.VmRegistry;
import org.hpcvirt.vm.VmStatus;

/**
 * Bringing VMs back from checkpoints: restore into a new or an existing VM, wake of a SUSPENDED VM
 * here or on another node, and hand-over of a VM woken elsewhere. Every file's SHA-256 is verified
 * while the backend loads the state; a mismatch refuses the restore and leaves the VM as it was.
 * Thread-safe: each operation holds its VM's monitor while it launches.
 */
public final class RestoreService implements AutoCloseable {
    private final VmRegistry vms;
    private final InstanceWatch watch;
    private final CheckpointService checkpoints;
    private final ImageStore images;
    private final Function<String, OperationClient> remote;
    /** Verifies checkpoint files while the backend loads a restore (as many threads as restores at once). */
    private final ExecutorService verifier = Executors.newCachedThreadPool(DaemonThreads.named("checkpoint-verify"));

    /**
     * @param remote opens a client of the daemon at a URL (for wake on another node); it throws
     *               INVALID_INPUT, naming what to configure, when this node cannot reach others
     */
    public RestoreService(VmRegistry vms, InstanceWatch watch, CheckpointService checkpoints, ImageStore images,
            Function<String, OperationClient> remote) {
        this.vms = vms;
        this.watch = watch;
        this.checkpoints = checkpoints;
        this.images = images;
        this.remote = remote;
    }

    private CheckpointStore store() {
        return checkpoints.store();
    }

    /**
     * See {@link Operation.Restore}. The guest continues where it was (heartbeat sequence, uptime,
     * memory); its disk is a new overlay on the checkpoint's layers. A refused or failed restore
     * into a new name leaves no VM behind.
     *
     * A new VM belongs to the checkpoint's owner, or to {@code owner} for a checkpoint that has none.
     *
     * @throws CheckpointException REFUSED if a file is missing or differs
     */
    public VmStatus restore(Operation.Restore op, String owner) {
        long t0 = System.nanoTime();
        CheckpointManifest m = store().get(op.id());
        store().checkPresent(m);
        String name = op.name() == null || op.name().isBlank() ? m.vm() : op.name();
        boolean definedHere = false;
        ManagedVm vm = vms.find(name).orElse(null);
        if (vm == null) {
            // a new VM from an enclave's checkpoint is an ordinary VM: only enclave create admits cores and makes a cgroup
            vm = vms.define(m.profile().withName(name).withPartition(null), m.owner() != null ? m.owner() : owner);
            definedHere = true;
        }
        CompletableFuture<VmState> started;
        try {
            synchronized (vm) {
                Preconditions.require(Operation.Restore.class, name, vm.state());
                VmProfile p = vm.profile();
                if (m.backend() != null && !m.backend().equals(p.backend())) {
                    throw HpcvirtException.invalid("checkpoint " + op.id() + " was taken by backend '" + m.backend() + "', VM '" + name
                            + "' runs on backend '" + p.backend() + "'; a checkpoint is restored only by the backend that took it"
                            + " (restore with --name NEW)");
                }
                if (p.cpus() != m.profile().cpus() || p.memoryBytes() != m.profile().memoryBytes()
                        || (p.disk() == null) != m.layers().isEmpty()) {
                    throw HpcvirtException.invalid("VM '" + name + "' has other virtual hardware than checkpoint " + op.id()
                            + " (taken of '" + m.vm() + "'); restore with --name NEW");
                }
                if (p.network() != m.profile().network()) {
                    // QEMU loads device state only into the same devices: a NIC is one
                    throw HpcvirtException.invalid("VM '" + name + "' has network " + p.network().name().toLowerCase(java.util.Locale.ROOT)
                            + ", checkpoint " + op.id() + " (taken of '" + m.vm() + "') network "
                            + m.profile().network().name().toLowerCase(java.util.Locale.ROOT) + "; restore into a VM with the same network mode");
                }
                started = launchRestored(vm, m, "restoring from checkpoint " + m.id(), t0);
            }
        } catch (RuntimeException e) {
            if (definedHere) {
                try {
                    synchronized (vm) {
                        watch.release(vm);
                        vms.remove(vm, "restore failed; the VM defined for it is removed");
                    }
                } catch (RuntimeException cleanup) {
                    e.addSuppressed(cleanup);
                }
            }
            throw e;
        }
        watch.connectChannel(vm);
        return watch.awaitStarted(vm, started, op.waitForHeartbeat(), Duration.ofSeconds(op.timeoutSeconds()), "resuming");
    }

    /** The newest suspend checkpoint of a SUSPENDED VM. See {@link Operation.SuspendCheckpoint}. */
    public CheckpointManifest suspendCheckpoint(String name) {
        ManagedVm vm = vms.get(name);
        Preconditions.require(Operation.SuspendCheckpoint.class, name, vm.state());
        List<CheckpointManifest> mine = store().list(name).stream().filter(c -> CheckpointManifest.SUSPEND_TAG.equals(c.tag())).toList();
        if (mine.isEmpty()) {
            throw HpcvirtException.notFound("suspend checkpoint of VM '" + name + "' in " + store().root());
        }
        return mine.get(mine.size() - 1);
    }

    /**
     * See {@link Operation.Wake}: here from the suspend checkpoint, or on the node at
     * {@code op.node()}, which restores it from the shared store; this node then forgets the VM.
     */
    public VmStatus wake(Operation.Wake op) {
        if (op.node() != null && !op.node().isBlank()) {
            return wakeElsewhere(op);
        }
        long t0 = System.nanoTime();
        ManagedVm vm = vms.get(op.name());
        CompletableFuture<VmState> started;
        synchronized (vm) {
            Preconditions.require(Operation.Wake.class, vm.name(), vm.state());
            CheckpointManifest m = suspendCheckpoint(vm.name());
            store().checkPresent(m);
            started = launchRestored(vm, m, "waking from checkpoint " + m.id(), t0);
        }
        watch.connectChannel(vm);
        return watch.awaitStarted(vm, started, op.waitForHeartbeat(), Duration.ofSeconds(op.timeoutSeconds()), "resuming");
    }

    private VmStatus wakeElsewhere(Operation.Wake op) {
        CheckpointManifest m = suspendCheckpoint(op.name());
        VmStatus there;
        // the peer first: a node that cannot reach others refuses before a long verification
        try (OperationClient peer = remote.apply(op.node())) {
            store().verify(m);
            there = peer.execute(new Operation.Restore(m.id(), op.name(), op.waitForHeartbeat(), op.timeoutSeconds()), VmStatus.class);
        }
        handOver(new Operation.HandOver(op.name(), op.node()));
        return there;
    }

    /** See {@link Operation.HandOver}: forgets a SUSPENDED VM woken elsewhere; its checkpoint stays in the store. */
    public void handOver(Operation.HandOver op) {
        ManagedVm vm = vms.get(op.name());
        synchronized (vm) {
            Preconditions.require(Operation.HandOver.class, vm.name(), vm.state());
            vms.publish(vm, VmEvent.Type.RESTORED, "woken on " + op.to() + "; this node forgets it", Map.of("node", op.to()));
            watch.release(vm);
            vms.remove(vm, "destroyed; its files are deleted");
        }
    }

    /**
     * Starts the backend loading checkpoint {@code m} into {@code vm} and runs the guest. The state
     * file's checksum is verified as it streams into the backend, the disk layers' on another
     * thread. Only when all match does the VM move to STARTING and the guest run; if any differs
     * (REFUSED) or the load fails, the process is killed, the new disk overlay deleted, and the VM
     * is left in the state it had. Caller holds the VM's monitor and checked the state.
     */
    private CompletableFuture<VmState> launchRestored(ManagedVm vm, CheckpointManifest m, String message, long t0) {
        return run(vm, m, load(vm, m, t0), message);
    }

    /** A checkpoint loaded into a new, paused VMM process that the VM does not own yet. */
    private record Loaded(Instance inst, long t0, long tPrepared, long tLoaded, long tVerified) {
    }

    /** The first half of {@link #launchRestored}: the paused process with the state loaded and every checksum verified. */
    private Loaded load(ManagedVm vm, CheckpointManifest m, long t0) {
        VmProfile p = vm.profile();
        Backend backend = vms.backends().usable(p.backend());
        Image image = images.get(p.image());
        Path disk = null;
        if (!m.layers().isEmpty()) {
            if (m.imageBase() != null && !Files.exists(Path.of(m.imageBase()))) {
                throw new HpcvirtException(ErrorCode.NOT_FOUND, "checkpoint " + m.id() + " needs base disk " + m.imageBase()
                        + " (image '" + p.image() + "'), which this node does not have");
            }
            disk = store().newLayer(vm.name());
            Qcow2.createOverlay(store().resolve(m.layers().get(m.layers().size() - 1)), disk, m.diskBytes());
        }
        CheckpointManifest.FileEntry state = m.files().stream().filter(f -> f.path().equals(m.stateFile())).findFirst()
                .orElseThrow(() -> new CheckpointException("checkpoint " + m.id() + ": the manifest lists no checksum for "
                        + m.stateFile()));
        CompletableFuture<Void> layersOk = CompletableFuture.runAsync(() -> store().verify(m, state.path()), verifier);
        long tPrepared = System.nanoTime();
        long tLoaded;
        Instance inst = null;
        try {
            inst = backend.launch(new LaunchSpec(p, vms.layout().runDir(vm.name()), image.kernel(), image.initramfs(), disk,
                    store().resolve(m.stateFile()), true, state.sha256()));
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
            vms.publish(vm, VmEvent.Type.ERROR, "restore from checkpoint " + m.id() + " failed: " + reason.getMessage()
                    + "; VM left " + vm.state(), Map.of("checkpoint", m.id()));
            throw reason;
        }
        long tVerified = System.nanoTime();
        if (disk != null) {
            vms.linkDataDisk(vm.name(), disk);
        }
        checkpoints.rememberLayers(vm.name(), m);
        return new Loaded(inst, t0, tPrepared, tLoaded, tVerified);
    }

    /** The second half of {@link #launchRestored}: the VM adopts the loaded process and its guest runs. */
    private CompletableFuture<VmState> run(ManagedVm vm, CheckpointManifest m, Loaded l, String message) {
        Instance inst = l.inst();
        long t0 = l.t0();
        long tPrepared = l.tPrepared();
        long tLoaded = l.tLoaded();
        long tVerified = l.tVerified();
        // The guest runs first, the database learns of it right after: the new process's events are
        // handled under this VM's monitor, which the caller holds, so none is missed meanwhile.
        InstanceWatch.resetForStart(vm);
        watch.adopt(vm, inst, false);
        long tAdopted = System.nanoTime();
        try {
            InstanceWatch.pausable(vm).resume();
        } catch (HpcvirtException e) {
            vms.move(vm, VmState.STARTING, VmEvent.Type.STATE_CHANGED, message, Map.of("checkpoint", m.id()));
            vms.publish(vm, VmEvent.Type.ERROR, "restore failed: cannot resume the loaded guest: " + e.getMessage(), Map.of());
            watch.release(vm);
            vms.move(vm, VmState.STOPPED, VmEvent.Type.STATE_CHANGED, "restore failed", Map.of());
            throw e;
        }
        long tResumed = System.nanoTime();
        vms.move(vm, VmState.STARTING, VmEvent.Type.STATE_CHANGED, message, Map.of("checkpoint", m.id()));
        long tRunning = System.nanoTime();
        long ms = (tRunning - t0) / 1_000_000;
        Map<String, Object> phases = new LinkedHashMap<>();
        phases.put("prepare", (tPrepared - t0) / 1000);
        phases.put("launchAndLoad", (tLoaded - tPrepared) / 1000);
        phases.put("layersVerified", (tVerified - tLoaded) / 1000);
        phases.put("adopt", (tAdopted - tVerified) / 1000);
        phases.put("cont", (tResumed - tAdopted) / 1000);
        phases.put("record", (tRunning - tResumed) / 1000);
        vms.publish(vm, VmEvent.Type.RESTORED, "restored from checkpoint " + m.id() + " in " + ms + " ms, checksums verified"
                + " (heartbeat seq at checkpoint " + m.heartbeatSeq() + ")",
                Map.of("checkpoint", m.id(), "ms", ms, "heartbeatSeq", m.heartbeatSeq(), "phasesMicros", phases));
        return vm.started();
    }

    /**
     * Restores several existing VMs together from the checkpoints {@code ids} (one per VM, each into
     * the VM it was taken of): every checkpoint is loaded into a paused process first, and only when
     * all are loaded do the guests run, so none runs while another one's state (a shared-memory
     * segment, say) is still being written. If a load fails, the processes loaded so far are killed
     * and the VMs stay as they were. Each VM must be in a state {@link Operation.Restore} allows.
     *
     * @return the VMs' status once each sent a heartbeat (or the timeout passed: TIMEOUT)
     */
    public List<VmStatus> restoreGroup(List<String> ids, Duration timeout) {
        List<ManagedVm> group = new java.util.ArrayList<>();
        List<CheckpointManifest> manifests = new java.util.ArrayList<>();
        List<Loaded> loaded = new java.util.ArrayList<>();
        try {
            for (String id : ids) {
                long t0 = System.nanoTime();
                CheckpointManifest m = store().get(id);
                store().checkPresent(m);
                ManagedVm vm = vms.get(m.vm());
                synchronized (vm) {
                    Preconditions.require(Operation.Restore.class, vm.name(), vm.state());
                    loaded.add(load(vm, m, t0));
                }
                group.add(vm);
                manifests.add(m);
            }
        } catch (RuntimeException e) {
            for (Loaded l : loaded) {
                l.inst().kill();
                l.inst().close();
            }
            throw e;
        }
        List<CompletableFuture<VmState>> started = new java.util.ArrayList<>();
        for (int i = 0; i < group.size(); i++) {
            ManagedVm vm = group.get(i);
            synchronized (vm) {
                started.add(run(vm, manifests.get(i), loaded.get(i), "restoring from checkpoint " + manifests.get(i).id()
                        + " with " + (group.size() - 1) + " other VM(s)"));
            }
            watch.connectChannel(vm);
        }
        List<VmStatus> out = new java.util.ArrayList<>();
        for (int i = 0; i < group.size(); i++) {
            out.add(watch.awaitStarted(group.get(i), started.get(i), true, timeout, "resuming"));
        }
        return out;
    }

    /**
     * Why a restore failed: a layer found corrupted wins over what the backend said about it; a
     * state file whose checksum differs (REFUSED from the backend) is reported as a corrupted checkpoint.
     */
    private static RuntimeException restoreFailure(CheckpointManifest m, RuntimeException e, CompletableFuture<Void> layersOk) {
        try {
            layersOk.join();
        } catch (CompletionException c) {
            if (c.getCause() instanceof CheckpointException ce) {
                return ce;
            }
        } catch (CancellationException c) {
            // not verified; the launch failure stands
        }
        RuntimeException cause = e instanceof CompletionException && e.getCause() instanceof RuntimeException r ? r : e;
        if (cause instanceof HpcvirtException he && he.code() == ErrorCode.REFUSED && !(he instanceof CheckpointException)) {
            return new CheckpointException("checkpoint " + m.id() + " is corrupted: " + he.getMessage() + "; refusing to use it");
        }
        return cause;
    }

    @Override
    public void close() {
        verifier.shutdownNow();
    }
}
