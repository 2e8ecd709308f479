package org.hpcvirt.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Json;
import org.hpcvirt.backend.Backend;
import org.hpcvirt.daemon.Daemon;
import org.hpcvirt.enclave.IsolationLevel;
import org.hpcvirt.inject.ContinuumMeasurements;
import org.hpcvirt.inject.ErrorZone;
import org.hpcvirt.inject.Fault;
import org.hpcvirt.inject.ZoneModel;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code hpcvirt zones}: the error-zone model — expected effect per zone × backend × isolation level, and the faults —
 * with the measured relative performance and contained faults ({@code hpcvirt bench continuum --record}) next to
 * the model's expectation.
 */
@Command(name = "zones", mixinStandardHelpOptions = true,
        description = "Show the error zones, the expected effect of faults per backend and isolation level (with the measured"
                + " performance and contained faults next to it), and the faults.")
public final class ZonesCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Option(names = "--json", description = "Print JSON.")
    boolean json;

    @CommandLine.Option(names = "--measured", paramLabel = "FILE",
            description = "Read the measured values from FILE (written by 'hpcvirt bench continuum --record FILE')"
                    + " instead of the ones shipped with hpcvirt.")
    Path measuredFile;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        List<String> backends = new ArrayList<>(Daemon.defaultBackends().all().stream().map(Backend::name).toList());
        for (String b : ZoneModel.KNOWN_BACKENDS) {
            if (!backends.contains(b)) {
                backends.add(b);
            }
        }
        List<ZoneModel.Disposition> table = ZoneModel.table(backends);
        Optional<ContinuumMeasurements> measured = Optional.empty();
        String measuredProblem = null;
        try {
            measured = measurements();
        } catch (HpcvirtException e) {
            measuredProblem = e.getMessage();
        }
        if (json) {
            List<Map<String, Object>> rows = new ArrayList<>();
            for (ZoneModel.Disposition d : table) {
                @SuppressWarnings("unchecked")
                Map<String, Object> row = new LinkedHashMap<>(Json.mapper().convertValue(d, Map.class));
                ContinuumMeasurements.Row r = measured.flatMap(m -> m.find(d.backend(), d.isolation())).orElse(null);
                if (r == null) {
                    row.put("measured", null);
                } else {
                    Map<String, Object> mv = new LinkedHashMap<>();
                    mv.put("date", measured.get().date());
                    mv.put("relativePerformance", r.relativePerformance());
                    mv.put("zone3", r.zone3());
                    mv.put("zone4", r.zone4());
                    row.put("measured", mv);
                }
                rows.add(row);
            }
            Output.json(out, rows);
            if (measuredProblem != null) {
                spec.commandLine().getErr().println("measured values not shown: " + measuredProblem);
            }
            return 0;
        }
        out.println("Error zones (effect: limited = only the victim fails, varied = depends on policy, global = whole node):");
        for (ErrorZone z : ErrorZone.values()) {
            out.printf("  %s  %-24s %s%n", z.label(), z.place(),
                    z.fixedEffect() == null ? "depends on backend and isolation level" : z.fixedEffect().id());
        }
        out.println();
        out.println("E-Zone 3 (guest kernel) per backend and isolation level, the model's expectation and what was measured"
                + " (performance relative to native, faults contained; 'hpcvirt bench continuum'):");
        out.printf("  %-10s %-12s %-8s %-12s %-10s %-66s %s%n", "backend", "isolation", "effect", "behaves as", "inject", "measured",
                "why");
        for (ZoneModel.Disposition d : table) {
            if (d.zone() == ErrorZone.GUEST_KERNEL) {
                String m = measured.flatMap(x -> x.find(d.backend(), d.isolation()).map(x::describe)).orElse("not measured");
                out.printf("  %-10s %-12s %-8s %-12s %-10s %-66s %s%n", d.backend(), d.isolation().id(), d.effect().id(),
                        d.behavesLike().label(), d.injectable() ? "yes" : "REFUSED", m, d.reason());
            }
        }
        if (measuredProblem != null) {
            out.println("  (measured values not shown: " + measuredProblem + ")");
        } else if (measured.isPresent()) {
            out.println("  measured " + measured.get().date() + " on " + measured.get().machine()
                    + (measured.get().note().isEmpty() ? "" : "; " + measured.get().note()));
        }
        out.println();
        out.println("Isolation levels:");
        for (IsolationLevel l : IsolationLevel.values()) {
            out.printf("  %-12s %s%n", l.id(), l.meaning());
        }
        out.println();
        out.println("Faults (hpcvirt inject FAULT VM, or in a campaign file):");
        for (Fault f : Fault.values()) {
            out.printf("  %-18s %s  %s%s%n", f.id(), f.zone().label(), f.description(),
                    f.options().isEmpty() ? "" : " [options: " + String.join(", ", f.options()) + "]");
        }
        return 0;
    }

    private Optional<ContinuumMeasurements> measurements() {
        if (measuredFile == null) {
            return ContinuumMeasurements.shipped();
        }
        String text;
        try {
            text = Files.readString(measuredFile);
        } catch (IOException e) {
            throw HpcvirtException.invalid(measuredFile + ": cannot read (" + e.getClass().getSimpleName() + ")");
        }
        return Optional.of(ContinuumMeasurements.parse(text, measuredFile.toString()));
    }
}
