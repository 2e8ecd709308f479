package org.hpcvirt.migration;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.hpcvirt.api.DaemonThreads;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Operation;
import org.hpcvirt.api.VmEvent;
import org.hpcvirt.backend.IncomingLaunch;
import org.hpcvirt.backend.Instance;
import org.hpcvirt.backend.LaunchSpec;
import org.hpcvirt.backend.Migratable;
import org.hpcvirt.checkpoint.Qcow2;
import org.hpcvirt.guest.Image;
import org.hpcvirt.guest.ImageStore;
import org.hpcvirt.profile.ProfileLoader;
import org.hpcvirt.profile.VmProfile;
import org.hpcvirt.vm.InstanceWatch;
import org.hpcvirt.vm.ManagedVm;
import org.hpcvirt.vm.Preconditions;
import org.hpcvirt.vm.VmRegistry;
import org.hpcvirt.vm.VmStatus;

/**
 * Destination side of a live migration, driven step by step by the source's daemon
 * ({@link MigrationPeer}): prepare (define the VM here, start a VMM process waiting for the state),
 * resume (once the stream ended), await (first heartbeat here), or abort. The profile arrives as
 * untrusted YAML and is validated like any other. Thread-safe.
 */
public final class MigrationDestination implements AutoCloseable {
    private final VmRegistry vms;
    private final InstanceWatch watch;
    private final ImageStore images;
    private final ProfileLoader profiles;
    /** Incoming VMs not resumed yet, by name: the instance generation their deadline is for. */
    private final Map<String, Long> waiting = new ConcurrentHashMap<>();
    /** How long adopting a guest that already runs here may take when its source never asked to resume it. */
    private static final Duration KEEP_TIMEOUT = Duration.ofSeconds(30);
    private final ScheduledExecutorService deadlines = Executors.newSingleThreadScheduledExecutor(
            DaemonThreads.named("incoming-deadline"));

    private final java.util.function.Consumer<VmEvent> exits = this::onEvent;

    public MigrationDestination(VmRegistry vms, InstanceWatch watch, ImageStore images, ProfileLoader profiles) {
        this.vms = vms;
        this.watch = watch;
        this.images = images;
        this.profiles = profiles;
        vms.events().subscribe(exits);
    }

    /** A waiting incoming QEMU that exits (its stream broke: the source cancelled or died) is given up at once. */
    private void onEvent(VmEvent ev) {
        Long generation = ev.vm() == null ? null : waiting.get(ev.vm());
        if (generation != null && ev.type() == VmEvent.Type.QEMU_EXITED) {
            vms.find(ev.vm()).ifPresent(vm -> deadlines.execute(() -> giveUp(vm, generation,
                    "its QEMU exited before the source resumed it (the stream broke: the source cancelled or died)")));
        }
    }

    /**
     * See {@link Operation.PrepareIncoming}: defines the VM (the name must be free) and starts its
     * VMM process with the same virtual hardware, opening the given disk, vCPUs stopped, listening
     * on {@code listenHost} (this node's address as the source reaches it) on a free port. The VM is
     * STARTING until resumed and its first heartbeat. On failure nothing is left behind.
     */
    public MigrationPeer.IncomingMigration prepare(Operation.PrepareIncoming op, String listenHost) {
        VmProfile profile = profiles.parse(op.profileYaml(), "incoming migration from " + op.from());
        Path disk = op.disk() == null || op.disk().isBlank() ? null : Path.of(op.disk());
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
        IncomingLaunch il = vms.backends().usable(profile.backend()).capability(IncomingLaunch.class).orElseThrow(
                () -> vms.backends().lacking(profile.backend(), IncomingLaunch.class, "receiving '" + profile.name() + "' by migration"));
        ManagedVm vm = vms.define(profile, op.owner() != null ? op.owner() : org.hpcvirt.vm.store.VmStore.LEGACY_OWNER);
        String name = profile.name();
        String uri;
        try {
            synchronized (vm) {
                Image image = images.get(profile.image());
                if (disk != null) {
                    vms.linkDataDisk(name, disk);
                }
                watch.enterStarting(vm, VmEvent.Type.MIGRATION, "incoming migration from " + op.from(), Map.of("from", op.from()));
                Instance inst = il.launchIncoming(new LaunchSpec(profile, vms.layout().runDir(name), image.kernel(), image.initramfs(),
                        disk, null, false));
                watch.adopt(vm, inst);
                uri = inst.capability(Migratable.class).orElseThrow(() -> new HpcvirtException(
                        ErrorCode.OPERATION_FAILED, "backend '" + profile.backend() + "' cannot receive a migration"))
                        .acceptIncoming("tcp:" + listenHost + ":0", op.channels());
                vms.publish(vm, VmEvent.Type.MIGRATION, "waiting for the state on " + uri + " (QEMU pid " + inst.pid() + ")",
                        Map.of("uri", uri, "pid", inst.pid()));
            }
        } catch (RuntimeException e) {
            try {
                vms.publish(vm, VmEvent.Type.ERROR, "incoming migration failed: " + HpcvirtException.chain(e), Map.of());
                forget(vm, "destroyed; its files are deleted");
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        long generation = vm.generation();
        waiting.put(name, generation);
        deadlines.schedule(() -> giveUp(vm, generation, "the source did not resume it within " + op.timeoutSeconds() + " s"),
                op.timeoutSeconds(), TimeUnit.SECONDS);
        watch.connectChannel(vm);
        return new MigrationPeer.IncomingMigration(name, uri, vm.instance() == null ? 0 : vm.instance().pid());
    }

    /**
     * The source never asked to resume the incoming VM in time (it died, or gave up without
     * telling): the never-resumed QEMU is killed and the name freed. The source, if it is still
     * there, keeps its VM (it resumes it there only once it knows this side's QEMU is gone). Unless
     * the guest already runs here ({@link Migratable#arrivedRunning}: the backend's own protocol
     * switched over and removed the source's copy): then it is kept and adopted, not destroyed.
     */
    private void giveUp(ManagedVm vm, long generation, String why) {
        synchronized (vm) {
            if (!waiting.remove(vm.name(), generation) || vm.generation() != generation) {
                return;
            }
            Instance inst = vm.instance();
            Migratable mig = inst == null ? null : inst.capability(Migratable.class).orElse(null);
            if (mig != null && mig.arrivedRunning()) {
                // the backend's own protocol already switched over (libvirt): this is the only copy of the guest
                try {
                    mig.awaitIncomingAndResume(KEEP_TIMEOUT);
                    watch.refreshProcess(vm);
                    vm.markResumed();
                    vms.publish(vm, VmEvent.Type.MIGRATION, "incoming migration not resumed by the source (" + why
                            + "), but the guest already runs here and the source's copy is gone: kept here", Map.of("outcome", "kept"));
                    return;
                } catch (HpcvirtException e) {
                    why = why + "; keeping the guest that runs here failed: " + HpcvirtException.chain(e);
                }
            }
            vms.publish(vm, VmEvent.Type.MIGRATION, "incoming migration given up: " + why
                    + "; its waiting QEMU is gone and the name is free", Map.of("outcome", "given-up"));
            forget(vm, "forgotten here after an incoming migration that was never resumed");
        }
    }

    /** See {@link Operation.ResumeIncoming}; returns milliseconds spent waiting for the end of the stream. */
    public Map<String, Long> resume(Operation.ResumeIncoming op) {
        ManagedVm vm = vms.get(op.name());
        synchronized (vm) {
            Preconditions.require(Operation.ResumeIncoming.class, vm.name(), vm.state());
            Instance inst = vm.instance();
            Migratable mig = inst == null ? null : inst.capability(Migratable.class).orElse(null);
            if (mig == null) {
                throw new HpcvirtException(ErrorCode.WRONG_STATE, "VM '" + vm.name() + "' is not waiting for an incoming migration");
            }
            if (!Long.valueOf(vm.generation()).equals(waiting.get(vm.name()))) {
                throw new HpcvirtException(ErrorCode.WRONG_STATE, "VM '" + vm.name() + "' is not waiting for an incoming migration");
            }
            long t0 = System.nanoTime();
            // a failed resume leaves the deadline armed: the waiting QEMU still goes if nobody aborts it
            mig.awaitIncomingAndResume(Duration.ofSeconds(op.timeoutSeconds()));
            watch.refreshProcess(vm);
            waiting.remove(vm.name());
            vm.markResumed();
            long ms = (System.nanoTime() - t0) / 1_000_000;
            vms.publish(vm, VmEvent.Type.MIGRATION, "incoming state loaded; vCPUs resumed (waited " + ms + " ms for the end of the stream)",
                    Map.of("waitedMs", ms));
            return Map.of("waitedMs", ms);
        }
    }

    /** True while {@code name} is an incoming VM that has not been resumed here (its disk is still the source's). */
    public boolean arriving(String name) {
        return waiting.containsKey(name);
    }

    /** See {@link Operation.AwaitIncoming}. */
    public VmStatus await(Operation.AwaitIncoming op) {
        ManagedVm vm = vms.get(op.name());
        Preconditions.require(Operation.AwaitIncoming.class, vm.name(), vm.state());
        return watch.awaitStarted(vm, vm.started(), true, Duration.ofSeconds(op.timeoutSeconds()), "taking over");
    }

    /** See {@link Operation.AbortIncoming}; {@code qemuGone} is true if no VMM process of that VM is left here. */
    public Map<String, Boolean> abort(Operation.AbortIncoming op) {
        ManagedVm vm = vms.find(op.name()).orElse(null);
        if (vm == null) {
            return Map.of("qemuGone", true);
        }
        Instance inst = vm.instance();
        synchronized (vm) {
            waiting.remove(vm.name());
            vms.publish(vm, VmEvent.Type.MIGRATION, "incoming migration aborted by the source", Map.of("outcome", "aborted"));
            forget(vm, "destroyed; its files are deleted");
        }
        return Map.of("qemuGone", inst == null || !inst.isAlive());
    }

    @Override
    public void close() {
        vms.events().unsubscribe(exits);
        deadlines.shutdownNow();
    }

    private void forget(ManagedVm vm, String message) {
        synchronized (vm) {
            if (vm.state() == org.hpcvirt.api.VmState.DESTROYED) {
                return;
            }
            watch.release(vm);
            vms.remove(vm, message);
        }
    }
}
