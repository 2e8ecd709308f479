package org.hpcvirt.bench.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.backend.Backend;
import org.hpcvirt.backend.BackendRegistry;
import org.hpcvirt.bench.ContinuumBenchmark;
import org.hpcvirt.bench.ContinuumReport;
import org.hpcvirt.bench.ContinuumResult;
import org.hpcvirt.daemon.Daemon;
import org.hpcvirt.enclave.IsolationLevel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code hpcvirt bench continuum}: the same workloads natively, in a container, under libvirt/QEMU, QEMU TCG and
 * KVM (where each probe passes), and the same E-Zone 3/4 fault campaign on each: relative performance against
 * contained faults, as one table, one chart and a JSON file.
 */
@Command(name = "continuum", mixinStandardHelpOptions = true,
        description = {"The isolation–performance continuum, measured: cpu, memory bandwidth, syscall, file I/O and a relayed"
                + " message round trip natively and in one small instance (128 MiB, 1 vCPU) of each backend, side by side;"
                + " then an E-Zone 3 (kerncrash) and E-Zone 4 (segfault) campaign on each backend.",
                "Writes continuum.md (table), continuum.json and continuum.png (chart) into --out and prints the ratios."})
public final class BenchContinuumCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--runs", defaultValue = "3", description = "Runs of each workload per solution; the table shows medians"
            + " (default ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--out", defaultValue = "continuum-results", description = "Output directory (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--backends", split = ",", defaultValue = "container,libvirt,qemu,kvm",
            description = "Backends to compare with native (which always runs; 'native' may be named too), in order (default ${DEFAULT-VALUE}); one whose probe fails is"
                    + " shown as not runnable with the probe's reason.")
    List<String> backends;

    @Option(names = "--scale", defaultValue = "1.0", description = "Factor on every workload's work, 0.001..10 (default"
            + " ${DEFAULT-VALUE}: each takes ~0.1–0.3 s natively, 10–50× that under TCG).")
    double scale;

    @Option(names = "--round-trips", defaultValue = "50", description = "Message round trips per run (default ${DEFAULT-VALUE}).")
    int roundTrips;

    @Option(names = "--fault-runs", defaultValue = "2", description = "Runs of each fault per backend × isolation level; 0 leaves"
            + " the campaign out (default ${DEFAULT-VALUE}).")
    int faultRuns;

    @Option(names = "--isolation", split = ",", defaultValue = "strict,balanced,performance",
            description = "Isolation levels of the campaign (default ${DEFAULT-VALUE}).")
    List<String> isolation;

    @Option(names = "--record", paramLabel = "FILE", description = "Also write the measurements 'hpcvirt zones' shows to FILE"
            + " (the product's copy is src/main/resources/org/hpcvirt/inject/continuum-measured.json).")
    Path record;

    @Option(names = "--machine", description = "The machine, in words, for --record (default: cores and kernel).")
    String machine;

    @Option(names = "--note", defaultValue = "", description = "A note for --record, e.g. 'preliminary: the machine was busy'.")
    String note;

    @Option(names = "--from", paramLabel = "JSON", description = "Run nothing: write the table and chart of an earlier run's"
            + " continuum.json into --out again (and --record its measurements).")
    Path from;

    @CommandLine.Mixin
    BenchImage image;

    @Override
    public Integer call() {
        if (runs < 1 || runs > 100) {
            throw HpcvirtException.invalid("--runs must be 1..100, not " + runs);
        }
        if (!(scale >= 0.001 && scale <= 10)) {
            throw HpcvirtException.invalid("--scale must be 0.001..10, not " + scale);
        }
        if (roundTrips < 1 || roundTrips > 10_000) {
            throw HpcvirtException.invalid("--round-trips must be 1..10000, not " + roundTrips);
        }
        if (faultRuns < 0 || faultRuns > 100) {
            throw HpcvirtException.invalid("--fault-runs must be 0..100, not " + faultRuns);
        }
        List<IsolationLevel> levels = new ArrayList<>();
        for (String s : isolation) {
            try {
                levels.add(IsolationLevel.parse(s));
            } catch (HpcvirtException e) {
                throw HpcvirtException.invalid("--isolation: " + e.getMessage());
            }
        }
        BackendRegistry registry = Daemon.defaultBackends();
        List<String> known = registry.all().stream().map(Backend::name).toList();
        List<String> compared = new ArrayList<>();
        for (String b : backends) {
            if (b.equals("native")) {
                continue;
            }
            compared.add(b);
            if (!known.contains(b)) {
                throw HpcvirtException.invalid("--backends: unknown backend '" + b + "' (known: " + String.join(", ", known)
                        + "; native always runs)");
            }
        }
        if (from != null) {
            record(ContinuumBenchmark.rewrite(from, out, spec.commandLine().getOut()));
            return 0;
        }
        Path images = image.ensureBuilt();
        ContinuumBenchmark.Options o = new ContinuumBenchmark.Options(List.copyOf(new java.util.LinkedHashSet<>(compared)), runs,
                scale, roundTrips, faultRuns, levels, image.name, out);
        record(new ContinuumBenchmark(registry, images, o, spec.commandLine().getOut(), System.out).run());
        return 0;
    }

    private void record(ContinuumResult r) {
        if (record != null) {
            String m = machine != null ? machine : r.host().get("cores") + " cores, kernel " + r.host().get("kernel");
            ContinuumReport.measurements(r, m, note).write(record);
            spec.commandLine().getOut().println("recorded: " + record);
        }
    }
}
