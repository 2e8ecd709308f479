package org.hpcvirt.vm;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.VmEvent;
import org.hpcvirt.api.VmState;
import org.hpcvirt.backend.Backend;
import org.hpcvirt.backend.Instance;
import org.hpcvirt.backend.InstanceRecord;
import org.hpcvirt.backend.RunState;

/**
 * Re-attach after a daemon restart: every VM that was active when the previous daemon stopped gets
 * its VMM process back (same pid, start time checked), its state reconciled with what the VMM
 * reports, and its guest channel reconnected. A VMM process that is gone makes its VM CRASHED. A
 * VM that was arriving by live migration and never ran here is forgotten, its VMM process killed
 * if still there: its source still has it. Runs once, on the daemon's start thread, before any
 * request is served.
 */
public final class Reattach {
    private final VmRegistry vms;
    private final InstanceWatch watch;

    public Reattach(VmRegistry vms, InstanceWatch watch) {
        this.vms = vms;
        this.watch = watch;
    }

    /** Re-attaches every active VM; see the class comment. */
    public void recover() {
        for (ManagedVm vm : vms.all()) {
            if (vm.state().isActive() && recover(vm)) {
                watch.connectChannel(vm);
            }
        }
    }

    /** True if the VM has a VMM process again. */
    private boolean recover(ManagedVm vm) {
        var r = vm.record;
        synchronized (vm) {
            boolean incoming = r.state() == VmState.STARTING && startedAsIncomingMigration(vm.name());
            Instance inst;
            try {
                Backend b = vms.backends().get(r.profile().backend());
                inst = b.attach(new InstanceRecord(b.name(), r.pid(), r.startTicks(), r.runDir()));
            } catch (HpcvirtException e) {
                if (incoming) {
                    forgetInterruptedIncoming(vm, null, "its QEMU pid " + r.pid() + " is gone");
                    return false;
                }
                vm.record = r.withProcess(0, 0, r.runDir());
                vms.move(vm, VmState.CRASHED, VmEvent.Type.QEMU_EXITED,
                        "QEMU pid " + r.pid() + " exited while no daemon was watching", Map.of("pid", r.pid()));
                return false;
            }
            RunState run = InstanceWatch.runState(inst);
            boolean cancelled = false;
            if (r.state() == VmState.MIGRATING && (run == RunState.RUNNING || run == RunState.SAVING)) {
                // an outgoing migration outlives its daemon inside the VMM: stop it, so that the VM
                // either runs here (cancelled) or is paused here with its state sent (completed)
                cancelled = cancelOutgoing(vm, inst);
                run = InstanceWatch.runState(inst);
            }
            String status = run.name().toLowerCase(java.util.Locale.ROOT);
            if (incoming && run != RunState.RUNNING) {
                forgetInterruptedIncoming(vm, inst, "its QEMU pid " + r.pid() + " never ran the guest (status " + status
                        + ") and is killed");
                return false;
            }
            watch.adopt(vm, inst);
            // A migration cannot survive its daemon: QEMU resumed the source if the stream failed;
            // a source that completed stays PAUSED because the destination may run it.
            VmState target = r.state() == VmState.MIGRATING ? (run == RunState.RUNNING ? VmState.RUNNING : VmState.PAUSED)
                    : switch (run) {
                        case PAUSED, INCOMING -> r.state() == VmState.STARTING ? VmState.STARTING : VmState.PAUSED;
                        case PANICKED -> VmState.PANICKED;
                        default -> r.state();
                    };
            vms.publish(vm, VmEvent.Type.ATTACHED, "re-attached to QEMU pid " + r.pid() + " (QEMU status " + status + ")",
                    Map.of("pid", r.pid(), "qemuStatus", status));
            if (target != r.state() && r.state().canMoveTo(target)) {
                if (r.state() == VmState.MIGRATING) {
                    vms.move(vm, target, VmEvent.Type.MIGRATION, "the daemon restarted during a migration"
                            + (cancelled ? "; the outgoing migration still ran and was cancelled" : "") + "; QEMU status " + status
                            + (target == VmState.PAUSED ? ": kept PAUSED, the destination may run the VM; check it before resuming"
                                    : ": the VM keeps running here"), Map.of("outcome", "interrupted", "cancelled", cancelled));
                } else {
                    vms.move(vm, target, VmEvent.Type.STATE_CHANGED, "state reconciled with QEMU status " + status, Map.of());
                }
            }
            if (r.state() == VmState.STARTING || r.state() == VmState.RUNNING) {
                vm.started = new CompletableFuture<>();
                if (r.state() == VmState.RUNNING) {
                    vm.started.complete(VmState.RUNNING);
                }
            }
            return true;
        }
    }

    /** Cancels the VMM's outgoing migration; true if one was running and is cancelled now. */
    private static boolean cancelOutgoing(ManagedVm vm, Instance inst) {
        var mig = inst.capability(org.hpcvirt.backend.Migratable.class);
        if (mig.isEmpty()) {
            return false;
        }
        try {
            return mig.get().cancelOutgoing(java.time.Duration.ofSeconds(10)) == org.hpcvirt.backend.Migratable.Outgoing.CANCELLED;
        } catch (HpcvirtException e) {
            return false;
        }
    }

    /** True if the VM's latest way into STARTING was an incoming live migration, not a start or a restore. */
    private boolean startedAsIncomingMigration(String name) {
        List<VmEvent> h = vms.events().history(name, 0, Integer.MAX_VALUE);
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
     * The destination's daemon stopped during an incoming migration, before the guest ran here: the
     * source keeps its QEMU until the destination confirmed RUNNING, so the source still has the
     * VM. This node kills its never-resumed QEMU, if any, so that the source can safely resume, and
     * forgets the VM (the disk layers stay in the store). Caller holds the VM's monitor.
     */
    private void forgetInterruptedIncoming(ManagedVm vm, Instance inst, String what) {
        if (inst != null) {
            inst.kill();
            inst.close();
        }
        vms.publish(vm, VmEvent.Type.MIGRATION, "incoming migration interrupted: this daemon stopped before the VM ran here; " + what
                + "; the source still has the VM (if it is PAUSED there, it can now be resumed there)",
                Map.of("outcome", "interrupted"));
        vms.remove(vm, "forgotten here after an interrupted incoming migration (disk layers stay in the store)");
    }
}
