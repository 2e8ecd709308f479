package org.hpcvirt.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.LockSupport;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.VmEvent;
import org.hpcvirt.api.VmState;
import org.hpcvirt.daemon.DaemonClient;
import org.hpcvirt.enclave.IsolationLevel;
import org.hpcvirt.inject.ChecksumWorkload;
import org.hpcvirt.inject.Fault;
import org.hpcvirt.inject.FaultOptions;
import org.hpcvirt.inject.Injection;
import org.hpcvirt.inject.InjectionContext;
import org.hpcvirt.inject.InjectorCatalog;
import org.hpcvirt.inject.ZoneModel;
import org.hpcvirt.vm.NodeLayout;
import org.hpcvirt.vm.VmStatus;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code hpcvirt inject FAULT VM}: one fault into one running VM of the node daemon, then watch the daemon's
 * events for the detection. Faults that would hit the host kernel are refused before anything is done.
 */
@Command(name = "inject", description = "Inject one fault into a running VM and report what the daemon detected (see 'hpcvirt zones').")
public final class InjectCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", description = "Fault, e.g. kerncrash, sysrq-crash, segfault, vmm-sigkill, bitflip-workload.")
    String fault;

    @Parameters(index = "1", description = "VM name.")
    String vm;

    @Option(names = "--isolation", defaultValue = "strict", description = "Isolation level of the VM: strict, balanced, performance (default ${DEFAULT-VALUE}).")
    String isolation;

    @Option(names = "--delay", description = "kerncrash/kernel-oops/kernel-hang: seconds before the fault fires.")
    Integer delay;

    @Option(names = {"-o", "--option"}, description = "Fault option NAME=VALUE (repeatable), e.g. -o bits=2.")
    Map<String, String> options = new LinkedHashMap<>();

    @Option(names = "--watch", defaultValue = "15s", description = "How long to watch for the detection (default ${DEFAULT-VALUE}).")
    String watch;

    @Option(names = "--seed", description = "Seed of random choices (addresses, bits).")
    Long seed;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Fault f = Fault.parse(fault);
        IsolationLevel iso = IsolationLevel.parse(isolation);
        Duration watchFor = org.hpcvirt.api.Durations.parse(watch, "--watch");
        Map<String, String> opts = new LinkedHashMap<>(options);
        if (delay != null) {
            opts.put("delay", Integer.toString(delay));
        }
        FaultOptions fo = new FaultOptions(f, opts);
        NodeLayout layout = NodeLayout.fromEnvironment();
        try (DaemonClient client = DaemonClient.connect(layout)) {
            VmStatus st = client.status(vm);
            ZoneModel.requireInjectable(f, st.backend(), iso);
            if (st.state() != VmState.RUNNING) {
                throw new HpcvirtException(ErrorCode.WRONG_STATE, "VM " + vm + " is " + st.state() + ", not RUNNING");
            }
            DaemonFaultTarget target = new DaemonFaultTarget(client, layout, st);
            InjectionContext ctx = new InjectionContext(seed == null ? new java.util.Random() : new java.util.Random(seed),
                    ChecksumWorkload.DEFAULT_ROUNDS, Duration.ofSeconds(60));
            String golden = null;
            if (f.isSoftError()) {
                golden = ChecksumWorkload.golden(target, ctx.workloadRounds(), ctx.workloadTimeout()).result();
                out.println("golden checksum: " + golden);
            }
            long after = client.events(vm, 0, 100_000).stream().mapToLong(VmEvent::seq).max().orElse(0);
            ZoneModel.Disposition d = ZoneModel.disposition(f, st.backend(), iso);
            out.printf("injecting %s (%s, %s) into %s on %s/%s; expected effect: %s%n", f.id(), f.zone().label(),
                    f.zone().place(), vm, st.backend(), iso.id(), d.effect().id());
            Injection inj = InjectorCatalog.forFault(f).inject(target, fo, ctx);
            out.println("injected at " + inj.at() + ": " + inj.detail());
            if (inj.workload() != null) {
                out.println("workload result: " + inj.workload() + (inj.workload().equals(golden) ? " (= golden: benign)" : " (≠ golden: SDC)"));
            }
            if (inj.processExit() >= 0) {
                out.println("faulting process exit status: " + inj.processExit());
            }
            if (!f.killsVictim()) {
                return 0;
            }
            long deadline = System.nanoTime() + watchFor.toNanos();
            while (System.nanoTime() < deadline) {
                List<VmEvent> evs = client.events(vm, after, 1000).stream().filter(e -> e.type() == VmEvent.Type.GUEST_PANICKED
                        || e.type() == VmEvent.Type.HEARTBEAT_LOST || e.type() == VmEvent.Type.QEMU_EXITED).toList();
                if (!evs.isEmpty()) {
                    for (VmEvent e : evs) {
                        long ms = Duration.between(inj.at(), e.time()).toMillis();
                        out.printf("detected: %s %d ms after the fault took effect (%s)%n", e.type(), Math.max(0, ms), e.message());
                    }
                    return 0;
                }
                LockSupport.parkNanos(50_000_000L);
            }
            out.println("not detected within " + watch + " (the VM is " + client.status(vm).state() + ")");
            return ErrorCode.TIMEOUT.exitCode();
        }
    }

}
