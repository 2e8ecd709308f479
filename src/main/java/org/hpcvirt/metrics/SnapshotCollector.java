package org.hpcvirt.metrics;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import org.hpcvirt.api.VmState;

/**
 * Renders the latest {@link VmSnapshot} (read once per scrape, so that every family of one scrape
 * shows the same moment) and the daemon process's own figures. Never waits for anything but
 * procfs. Thread-safe.
 */
final class SnapshotCollector implements MultiCollector {
    private static final List<String> NAMES = List.of("hpcvirt_vms", "hpcvirt_vm_state", "hpcvirt_vm_info", "hpcvirt_vm_vcpus",
            "hpcvirt_vm_memory_bytes", "hpcvirt_vm_heartbeat_age_seconds", "hpcvirt_vm_heartbeat_sequence",
            "hpcvirt_vm_checkpoint_age_seconds", "hpcvirt_vm_guest_garbage_lines", "hpcvirt_metrics_snapshot_age_seconds",
            "hpcvirt_metrics_snapshot_duration_seconds", "hpcvirt_daemon_resident_memory_bytes", "hpcvirt_daemon_cpu_seconds",
            "hpcvirt_daemon_start_time_seconds");

    private final Supplier<VmSnapshot> latest;
    private final ProcessStats process;
    private final double startTimeSeconds;

    SnapshotCollector(Supplier<VmSnapshot> latest, ProcessStats process, long startedAtMillis) {
        this.latest = latest;
        this.process = process;
        this.startTimeSeconds = startedAtMillis / 1000.0;
    }

    @Override
    public List<String> getPrometheusNames() {
        return NAMES;
    }

    @Override
    public MetricSnapshots collect() {
        VmSnapshot s = latest.get();
        List<MetricSnapshot> out = new ArrayList<>();

        GaugeSnapshot.Builder byState = GaugeSnapshot.builder().name("hpcvirt_vms").help("VMs of this node by state (every state, 0 when none)");
        for (Map.Entry<VmState, Integer> e : s.byState().entrySet()) {
            byState.dataPoint(gauge(e.getValue(), "state", e.getKey().name()));
        }
        out.add(byState.build());

        GaugeSnapshot.Builder state = GaugeSnapshot.builder().name("hpcvirt_vm_state")
                .help("1 for the VM's current state, 0 for every other state");
        GaugeSnapshot.Builder info = GaugeSnapshot.builder().name("hpcvirt_vm_info").help("Always 1; the VM's backend and owner as labels");
        for (VmSnapshot.Vm vm : s.vms()) {
            for (VmState st : VmState.values()) {
                state.dataPoint(gauge(st == vm.state() ? 1 : 0, "vm", vm.name(), "state", st.name()));
            }
            info.dataPoint(gauge(1, "vm", vm.name(), "backend", vm.backend(), "owner", vm.owner()));
        }
        out.add(state.build());
        out.add(info.build());
        out.add(perVm(s, "hpcvirt_vm_vcpus", "vCPUs of the VM's profile", vm -> vm.cpus()));
        out.add(perVm(s, "hpcvirt_vm_memory_bytes", "Guest RAM of the VM's profile", vm -> vm.memoryBytes()));
        out.add(perVm(s, "hpcvirt_vm_heartbeat_age_seconds",
                "Seconds since the guest agent's last heartbeat arrived (absent before the first one and while no VMM process runs)",
                VmSnapshot.Vm::heartbeatAgeSeconds));
        out.add(perVm(s, "hpcvirt_vm_heartbeat_sequence",
                "Sequence number of the last heartbeat (restarts with the guest; absent before the first one and while no VMM process runs)",
                vm -> vm.heartbeatSeq() < 0 ? Double.NaN : vm.heartbeatSeq()));
        out.add(perVm(s, "hpcvirt_vm_checkpoint_age_seconds",
                "Seconds since the VM's last checkpoint was taken (absent if it has none in the store)",
                VmSnapshot.Vm::checkpointAgeSeconds));
        CounterSnapshot.Builder garbage = CounterSnapshot.builder().name("hpcvirt_vm_guest_garbage_lines")
                .help("Malformed, oversize or rate-limited lines from the guest channel since it attached (restarts at 0 on reattach)");
        for (VmSnapshot.Vm vm : s.vms()) {
            garbage.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().value(vm.garbageLines())
                    .labels(Labels.of("vm", vm.name())).build());
        }
        out.add(garbage.build());

        out.add(single("hpcvirt_metrics_snapshot_age_seconds",
                "Age of the VM snapshot this scrape shows (taken every second by a collector thread)", s.ageSeconds()));
        out.add(single("hpcvirt_metrics_snapshot_duration_seconds", "How long taking that snapshot took", s.durationSeconds()));
        out.add(single("hpcvirt_daemon_resident_memory_bytes", "Resident memory of the daemon process (VmRSS of /proc/self/status)",
                process.residentBytes()));
        CounterSnapshot.Builder cpu = CounterSnapshot.builder().name("hpcvirt_daemon_cpu_seconds")
                .help("User and system CPU time of the daemon process (utime+stime of /proc/self/stat)");
        double cpuSeconds = process.cpuSeconds();
        if (!Double.isNaN(cpuSeconds)) {
            cpu.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().value(cpuSeconds).build());
        }
        out.add(cpu.build());
        out.add(single("hpcvirt_daemon_start_time_seconds", "When the daemon started, in seconds since the Unix epoch", startTimeSeconds));
        return new MetricSnapshots(out);
    }

    private static GaugeSnapshot perVm(VmSnapshot s, String name, String help, ToDoubleFunction<VmSnapshot.Vm> value) {
        GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(help);
        for (VmSnapshot.Vm vm : s.vms()) {
            double v = value.applyAsDouble(vm);
            if (!Double.isNaN(v)) {
                b.dataPoint(gauge(v, "vm", vm.name()));
            }
        }
        return b.build();
    }

    /** A gauge without labels; without a sample if {@code value} is NaN (unknown). */
    private static GaugeSnapshot single(String name, String help, double value) {
        GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(help);
        if (!Double.isNaN(value)) {
            b.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().value(value).build());
        }
        return b.build();
    }

    private static GaugeSnapshot.GaugeDataPointSnapshot gauge(double value, String... labels) {
        return GaugeSnapshot.GaugeDataPointSnapshot.builder().value(value).labels(Labels.of(labels)).build();
    }
}
