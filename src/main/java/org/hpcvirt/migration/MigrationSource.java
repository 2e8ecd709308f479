package org.hpcvirt.migration;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Operation;
import org.hpcvirt.api.VmEvent;
import org.hpcvirt.api.VmState;
import org.hpcvirt.backend.Checkpointable;
import org.hpcvirt.backend.DiskSnapshots;
import org.hpcvirt.backend.Instance;
import org.hpcvirt.backend.Migratable;
import org.hpcvirt.backend.RunState;
import org.hpcvirt.checkpoint.CheckpointService;
import org.hpcvirt.profile.VmProfile;
import org.hpcvirt.vm.InstanceWatch;
import org.hpcvirt.vm.ManagedVm;
import org.hpcvirt.vm.Preconditions;
import org.hpcvirt.vm.VmRegistry;
import org.hpcvirt.vm.VmStatus;

/**
 * Source side of a live migration. Steps: the data disk is moved into the shared checkpoint store
 * if it is not there yet (the destination opens the same layer); the destination starts an
 * identical VMM process waiting for the state; this one streams RAM with pre-copy, stops for the
 * final pass, and the destination resumes; once the destination reports RUNNING (a heartbeat
 * there), this process is killed and this node forgets the VM. Every outcome is a MIGRATION event.
 * The VM never runs on both nodes: if anything fails before the switch-over the VM keeps running
 * here; after it, this process stays paused and is resumed only when the destination confirmed its
 * process is gone, otherwise the VM stays PAUSED here for an operator to decide. Thread-safe;
 * {@link #migrate} holds the VM's monitor throughout and blocks its caller.
 */
public final class MigrationSource {
    private final VmRegistry vms;
    private final InstanceWatch watch;
    private final CheckpointService checkpoints;
    private final Function<Operation.Migrate, MigrationPeer> peers;

    /**
     * @param peers opens the destination of a request (the caller closes it); throws INVALID_INPUT,
     *              naming what to configure, when this node cannot reach other nodes
     */
    public MigrationSource(VmRegistry vms, InstanceWatch watch, CheckpointService checkpoints,
            Function<Operation.Migrate, MigrationPeer> peers) {
        this.vms = vms;
        this.watch = watch;
        this.checkpoints = checkpoints;
        this.peers = peers;
    }

    /** See {@link Operation.Migrate}: to the destination daemon named in the request. */
    public MigrationReport migrate(Operation.Migrate op) {
        String backend = vms.get(op.name()).profile().backend();
        // a backend that can never migrate is refused before the destination is even contacted
        if (!vms.backends().has(backend, Migratable.class)) {
            throw vms.backends().lacking(backend, Migratable.class, "migrating '" + op.name() + "'");
        }
        try (MigrationPeer peer = peers.apply(op)) {
            return migrate(op.name(), peer, new Migratable.MigrateOptions(Duration.ofMillis(op.maxDowntimeMs()), op.bandwidth(),
                    Duration.ofSeconds(op.timeoutSeconds()), op.channels()), Duration.ofSeconds(60));
        }
    }

    /**
     * Live-migrates the RUNNING VM {@code name} to {@code peer}.
     *
     * @throws HpcvirtException WRONG_STATE unless RUNNING, OPERATION_FAILED or TIMEOUT if the
     *         migration failed (the message says where the VM runs now)
     */
    public MigrationReport migrate(String name, MigrationPeer peer, Migratable.MigrateOptions options, Duration confirmTimeout) {
        long t0 = System.nanoTime();
        ManagedVm vm = vms.get(name);
        checkpoints.awaitDiskJobs(name);
        synchronized (vm) {
            if (checkpoints.diskJobRunning(name)) {
                throw new HpcvirtException(ErrorCode.WRONG_STATE, "the disk chain of VM '" + name + "' is being flattened after a"
                        + " checkpoint; migrate it again when that is done");
            }
            Preconditions.require(Operation.Migrate.class, name, vm.state());
            Instance inst = vm.instance();
            VmProfile p = vm.profile();
            Migratable mig = inst.capability(Migratable.class).orElseThrow(
                    () -> vms.backends().lacking(p.backend(), Migratable.class, "migrating '" + vm.name() + "'"));
            Path disk = null;
            if (p.disk() != null) {
                DiskSnapshots ds = inst.capability(DiskSnapshots.class).orElseThrow(
                        () -> vms.backends().lacking(p.backend(), DiskSnapshots.class, "migrating the data disk of '" + vm.name() + "'"));
                checkpoints.moveDiskToStore(vm, ds);
                disk = ds.topLayer(CheckpointService.DATA_DRIVE).toAbsolutePath();
            }
            String to = peer.describe();
            vms.move(vm, VmState.MIGRATING, VmEvent.Type.MIGRATION, "migrating to " + to, Map.of("to", to));
            MigrationPeer.IncomingMigration in;
            try {
                // the destination gives up on its waiting QEMU if this side never resumes it (it died)
                in = peer.prepareIncoming(p, vm.owner(), disk, vms.layout().home().toString(), options.channels(),
                        options.timeout().plus(confirmTimeout));
            } catch (RuntimeException e) {
                vm.markResumed();
                vms.move(vm, VmState.RUNNING, VmEvent.Type.MIGRATION, "migration to " + to + " failed: the destination could not prepare ("
                        + HpcvirtException.chain(e) + "); the VM keeps running here", Map.of("to", to, "outcome", "failed"));
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "migration of '" + name + "' to " + to
                        + " failed before streaming; the VM keeps running here", e);
            }
            vms.publish(vm, VmEvent.Type.MIGRATION, "streaming to " + in.uri() + " (destination QEMU pid " + in.pid() + ")",
                    Map.of("to", to, "uri", in.uri(), "destinationPid", in.pid()));
            Checkpointable.SaveResult r;
            try {
                r = mig.migrate(in.uri(), options);
            } catch (RuntimeException e) {
                if (InstanceWatch.runState(inst) == RunState.MIGRATED) {
                    throw failedAfterSwitchover(vm, peer, to, e);
                }
                boolean gone = abortQuietly(peer, name);
                boolean running = resumeAfterFailedStream(vm, inst);
                vm.markResumed();
                vms.move(vm, running ? VmState.RUNNING : VmState.PAUSED, VmEvent.Type.MIGRATION, "migration to " + to
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
            watch.release(vm);
            long elapsed = (System.nanoTime() - t0) / 1_000_000;
            MigrationReport report = new MigrationReport(name, to, in.uri(), r.totalMs(), r.downtimeMs(), pauseMs, r.bytes(), elapsed, dest);
            Map<String, Object> d = new HashMap<>();
            d.put("to", to);
            d.put("outcome", "completed");
            d.put("totalMs", r.totalMs());
            d.put("downtimeMs", r.downtimeMs());
            d.put("pauseMs", pauseMs);
            d.put("bytes", r.bytes());
            d.put("elapsedMs", elapsed);
            d.put("destinationPid", dest.pid());
            vms.move(vm, VmState.STOPPED, VmEvent.Type.MIGRATION, "migrated to " + to + ": total " + r.totalMs() + " ms, downtime "
                    + r.downtimeMs() + " ms (guest paused ≤ " + pauseMs + " ms), " + String.format("%.1f MiB", r.bytes() / 1048576.0)
                    + "; running there as pid " + dest.pid() + "; this node forgets the VM", d);
            vms.remove(vm, "migrated to " + to + "; record and node-local files removed here (disk layers stay in the store)");
            return report;
        }
    }

    /**
     * The state is already on its way (or there): resume here only if the destination proved its
     * process gone, else stay PAUSED. Caller holds the VM's monitor. Returns the exception to throw.
     */
    private HpcvirtException failedAfterSwitchover(ManagedVm vm, MigrationPeer peer, String to, RuntimeException cause) {
        boolean gone = abortQuietly(peer, vm.name());
        if (gone) {
            try {
                InstanceWatch.pausable(vm).resume();
                vm.markResumed();
                vms.move(vm, VmState.RUNNING, VmEvent.Type.MIGRATION, "destination " + to + " failed after the switch-over ("
                        + HpcvirtException.chain(cause) + "); its QEMU is confirmed gone; resumed here",
                        Map.of("to", to, "outcome", "failed-after-switchover", "resumedHere", true));
                return new HpcvirtException(ErrorCode.OPERATION_FAILED, "migration of '" + vm.name() + "' to " + to
                        + " failed after the switch-over; the destination's QEMU is gone and the VM runs here again", cause);
            } catch (HpcvirtException e) {
                cause.addSuppressed(e);
            }
        }
        vms.move(vm, VmState.PAUSED, VmEvent.Type.MIGRATION, "destination " + to + " failed after the switch-over ("
                + HpcvirtException.chain(cause) + "); " + (gone ? "resuming here failed" : "it did not confirm that its QEMU is gone")
                + ": the VM stays PAUSED here so that it never runs twice; check " + to
                + ", then resume or destroy it here", Map.of("to", to, "outcome", "failed-after-switchover", "resumedHere", false));
        return new HpcvirtException(ErrorCode.OPERATION_FAILED, "migration of '" + vm.name() + "' to " + to
                + " failed after the switch-over; the VM is PAUSED here until someone checks the destination", cause);
    }

    /**
     * QEMU resumes a source whose stream failed by itself, a moment after reporting the failure;
     * give it that moment, then resume explicitly. Caller holds the VM's monitor.
     */
    private static boolean resumeAfterFailedStream(ManagedVm vm, Instance inst) {
        long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        while (InstanceWatch.runState(inst) != RunState.RUNNING && System.nanoTime() < deadline) {
            LockSupport.parkNanos(5_000_000L);
        }
        if (InstanceWatch.runState(inst) == RunState.RUNNING) {
            return true;
        }
        try {
            InstanceWatch.pausable(vm).resume();
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
}
