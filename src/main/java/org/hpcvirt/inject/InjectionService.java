package org.hpcvirt.inject;

import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Operation;
import org.hpcvirt.api.VmEvent;
import org.hpcvirt.enclave.IsolationLevel;
import org.hpcvirt.guest.ExecResult;
import org.hpcvirt.vm.Lifecycle;
import org.hpcvirt.vm.ManagedVm;
import org.hpcvirt.vm.VmRegistry;

/**
 * Fault injection as a daemon operation: the node daemon, which owns the VM, runs the injector
 * against it and records an INJECTION event, so that every injection is in the VM's history next
 * to what was detected after it. Faults that would hit the host kernel are refused before anything
 * is done. Thread-safe; an injection does not hold the VM's monitor (the fault's effects arrive as
 * events meanwhile).
 */
public final class InjectionService {
    private final VmRegistry vms;
    private final Lifecycle lifecycle;

    public InjectionService(VmRegistry vms, Lifecycle lifecycle) {
        this.vms = vms;
        this.lifecycle = lifecycle;
    }

    /** See {@link Operation.Inject}. */
    public InjectionReport inject(Operation.Inject op) {
        ManagedVm vm = vms.get(op.name());
        Fault f = Fault.parse(op.fault());
        IsolationLevel iso = IsolationLevel.parse(op.isolation());
        String backend = vm.profile().backend();
        f.requireSupportedBy(backend, vms.backends().get(backend).capabilities());
        ZoneModel.requireInjectable(f, backend, iso);
        FaultOptions fo = new FaultOptions(f, op.options() == null ? Map.of() : new LinkedHashMap<>(op.options()));
        InjectionContext ctx = new InjectionContext(op.seed() == null ? new Random() : new Random(op.seed()),
                ChecksumWorkload.DEFAULT_ROUNDS, Duration.ofSeconds(60));
        FaultTarget target = new Target(vm);
        String golden = f.isSoftError() ? ChecksumWorkload.golden(target, ctx.workloadRounds(), ctx.workloadTimeout()).result() : null;
        ZoneModel.Disposition d = ZoneModel.disposition(f, backend, iso);
        // a fault can be detected (QEMU gone, a panic) before its INJECTION event is written: detections follow this
        long before = vms.events().lastSeq();
        Injection inj;
        try {
            inj = InjectorCatalog.forFault(f).inject(target, fo, ctx);
        } catch (RuntimeException e) {
            vms.publish(vm, VmEvent.Type.ERROR, "injection of " + f.id() + " failed: " + HpcvirtException.chain(e), Map.of("fault", f.id()));
            throw e;
        }
        Map<String, Object> data = new HashMap<>();
        data.put("fault", f.id());
        data.put("zone", f.zone().label());
        data.put("expectedEffect", d.effect().id());
        data.put("isolation", iso.id());
        data.put("at", inj.at().toString());
        data.put("detail", inj.detail());
        if (inj.processExit() >= 0) {
            data.put("processExit", inj.processExit());
        }
        if (inj.workload() != null) {
            data.put("workload", inj.workload());
            data.put("golden", golden);
        }
        VmEvent ev = vms.events().publish(VmEvent.of(vm.name(), VmEvent.Type.INJECTION, vm.state(), "injected " + f.id() + " ("
                + f.zone().label() + ", " + f.zone().place() + "): " + inj.detail() + "; expected effect " + d.effect().id(), data));
        return new InjectionReport(vm.name(), f.id(), f.zone().label(), f.zone().place(), backend, iso.id(), d.effect().id(), inj.at(),
                inj.detail(), inj.processExit(), golden, inj.workload(), before, ev.seq());
    }

    /** The VM as injectors see it: exec through the agent, the VMM's pid and guest-memory access from its instance. */
    private final class Target implements FaultTarget {
        private final ManagedVm vm;

        Target(ManagedVm vm) {
            this.vm = vm;
        }

        @Override
        public String name() {
            return vm.name();
        }

        @Override
        public String backend() {
            return vm.profile().backend();
        }

        @Override
        public ExecResult exec(String shellCommand, Duration timeout) {
            return lifecycle.channel(vm.name(), Operation.Exec.class).exec(shellCommand, timeout);
        }

        @Override
        public long vmmPid() {
            var inst = vm.instance();
            if (inst == null) {
                throw new HpcvirtException(ErrorCode.WRONG_STATE, "VM '" + vm.name() + "' has no VMM process");
            }
            return inst.pid();
        }

        @Override
        public java.util.Optional<org.hpcvirt.backend.MemoryAccess> memoryAccess() {
            var inst = vm.instance();
            return inst == null ? java.util.Optional.empty() : inst.capability(org.hpcvirt.backend.MemoryAccess.class);
        }

        @Override
        public long memoryBytes() {
            return vm.profile().memoryBytes();
        }
    }
}
