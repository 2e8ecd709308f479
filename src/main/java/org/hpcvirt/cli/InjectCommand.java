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
import org.hpcvirt.api.Operation;
import org.hpcvirt.daemon.DaemonClient;
import org.hpcvirt.inject.Fault;
import org.hpcvirt.inject.InjectionReport;
import org.hpcvirt.vm.NodeLayout;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code hpcvirt inject FAULT VM}: asks the node daemon to inject one fault into one of its running VMs (the
 * daemon records an INJECTION event), then watches the daemon's events for the detection. Faults that would
 * hit the host kernel are refused before anything is done.
 */
@Command(name = "inject", description = "Inject one fault into a running VM and report what the daemon detected (see 'hpcvirt zones').")
public final class InjectCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", description = "Fault, e.g. kerncrash, sysrq-crash, segfault, vmm-sigkill, bitflip-workload.")
    String fault;

    @Parameters(index = "1", description = "VM name.")
    String vm;

    @Option(names = "--isolation", descriptionKey = "Inject.isolation", description = "Isolation level of the VM: strict, balanced, performance (default ${DEFAULT-VALUE}).")
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
        Duration watchFor = org.hpcvirt.api.Durations.parse(watch, "--watch");
        Map<String, String> opts = new LinkedHashMap<>(options);
        if (delay != null) {
            opts.put("delay", Integer.toString(delay));
        }
        try (DaemonClient client = DaemonClient.connect(NodeLayout.fromEnvironment())) {
            InjectionReport r = client.inject(new Operation.Inject(vm, fault, isolation, opts, seed));
            out.printf("injected %s (%s, %s) into %s on %s/%s; expected effect: %s%n", r.fault(), r.zone(), r.place(), r.vm(),
                    r.backend(), r.isolation(), r.expectedEffect());
            out.println("injected at " + r.at() + ": " + r.detail());
            if (r.golden() != null) {
                out.println("golden checksum: " + r.golden());
            }
            if (r.workload() != null) {
                out.println("workload result: " + r.workload() + (r.workload().equals(r.golden()) ? " (= golden: benign)" : " (≠ golden: SDC)"));
            }
            if (r.processExit() >= 0) {
                out.println("faulting process exit status: " + r.processExit());
            }
            if (!Fault.parse(r.fault()).killsVictim()) {
                return 0;
            }
            long deadline = System.nanoTime() + watchFor.toNanos();
            while (System.nanoTime() < deadline) {
                List<VmEvent> evs = client.events(vm, r.eventSeq(), 1000).stream().filter(e -> e.type() == VmEvent.Type.GUEST_PANICKED
                        || e.type() == VmEvent.Type.HEARTBEAT_LOST || e.type() == VmEvent.Type.QEMU_EXITED).toList();
                if (!evs.isEmpty()) {
                    for (VmEvent e : evs) {
                        long ms = Duration.between(r.at(), e.time()).toMillis();
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
