package org.hpcvirt.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.enclave.IsolationLevel;
import org.hpcvirt.inject.ContinuumMeasurements;
import org.hpcvirt.inject.ErrorZone;
import org.hpcvirt.inject.ZoneModel;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Turns a {@link ContinuumResult} into what people read: relative performance against native, the
 * geometric mean, the markdown table, the chart, and the measurements {@code hpcvirt zones} shows. Pure
 * functions of the result (the chart writes a file); thread-safe.
 */
public final class ContinuumReport {
    private ContinuumReport() {
    }

    /** Native time / time on {@code s} for {@code workload} (1.0 = as fast as native), or empty if either is missing. */
    public static OptionalDouble relative(ContinuumResult.Solution nativeRun, ContinuumResult.Solution s, String workload) {
        if (nativeRun == null || s == null || s.status() != null) {
            return OptionalDouble.empty();
        }
        ContinuumResult.Measure n = nativeRun.workloads().get(workload);
        ContinuumResult.Measure m = s.workloads().get(workload);
        if (n == null || m == null || !(m.median() > 0) || !(n.median() > 0)) {
            return OptionalDouble.empty();
        }
        return OptionalDouble.of(n.median() / m.median());
    }

    /**
     * Geometric mean of positive values.
     *
     * @throws IllegalArgumentException if {@code xs} is empty or a value is not positive
     */
    public static double geomean(List<Double> xs) {
        if (xs.isEmpty()) {
            throw new IllegalArgumentException("no values");
        }
        double logSum = 0;
        for (double x : xs) {
            if (!(x > 0) || Double.isInfinite(x)) {
                throw new IllegalArgumentException("geometric mean of a non-positive value " + x);
            }
            logSum += Math.log(x);
        }
        return Math.exp(logSum / xs.size());
    }

    /**
     * Geometric mean of {@code s}'s relative performance over every workload both it and native measured, or empty;
     * file I/O only where it ran on a file system comparable with native's.
     */
    public static OptionalDouble relativeGeomean(ContinuumResult r, ContinuumResult.Solution s) {
        ContinuumResult.Solution n = solution(r, "native").orElse(null);
        List<Double> rel = new ArrayList<>();
        for (String w : ContinuumResult.WORKLOADS) {
            if (!w.equals("fileio") || s.fileCompared()) {
                relative(n, s, w).ifPresent(rel::add);
            }
        }
        return rel.isEmpty() ? OptionalDouble.empty() : OptionalDouble.of(geomean(rel));
    }

    /** The solution named {@code name}. */
    public static Optional<ContinuumResult.Solution> solution(ContinuumResult r, String name) {
        return r.solutions().stream().filter(s -> s.name().equals(name)).findFirst();
    }

    /** The campaign cell of {@code backend} × {@code isolation} × {@code zone}. */
    public static Optional<ContinuumResult.ZoneCell> cell(ContinuumResult r, String backend, String isolation, int zone) {
        return r.zones().stream().filter(z -> z.backend().equals(backend) && z.isolation().equals(isolation) && z.zone() == zone)
                .findFirst();
    }

    /** Isolation levels the campaign ran, in order. */
    static List<String> isolations(ContinuumResult r) {
        List<String> out = new ArrayList<>();
        for (ContinuumResult.ZoneCell z : r.zones()) {
            if (!out.contains(z.isolation())) {
                out.add(z.isolation());
            }
        }
        return out;
    }

    /** One line per solution: its geometric mean and every workload's ratio (what the benchmark prints). */
    public static String ratios(ContinuumResult r) {
        ContinuumResult.Solution n = solution(r, "native").orElse(null);
        StringBuilder b = new StringBuilder();
        for (ContinuumResult.Solution s : r.solutions()) {
            if (s.status() != null) {
                b.append(String.format(Locale.ROOT, "%-10s %s%n", s.name(), s.status()));
                continue;
            }
            b.append(String.format(Locale.ROOT, "%-10s geomean %.3f× native:", s.name(), relativeGeomean(r, s).orElse(Double.NaN)));
            for (String w : ContinuumResult.WORKLOADS) {
                OptionalDouble rel = relative(n, s, w);
                b.append(' ').append(w).append(' ').append(rel.isPresent() ? String.format(Locale.ROOT, "%.3f", rel.getAsDouble()) : "—");
                if (w.equals("fileio") && !s.fileCompared()) {
                    b.append(" (tmpfs, not in the geomean)");
                }
            }
            b.append(System.lineSeparator());
        }
        return b.toString();
    }

    /** The markdown table: per solution × isolation level, each workload's time and ratio, geomean, contained faults, model. */
    public static String markdown(ContinuumResult r) {
        ContinuumResult.Solution n = solution(r, "native").orElse(null);
        List<String> isos = isolations(r);
        String zone3 = faultName(r, 3);
        String zone4 = faultName(r, 4);
        StringBuilder b = new StringBuilder();
        b.append("| solution | isolation | cpu | mem | syscall | file I/O | round trip | geomean vs native | E-Zone 3 (")
                .append(zone3).append(") contained | E-Zone 4 (").append(zone4).append(") contained | model: E3 / E4 effect |\n");
        b.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (ContinuumResult.Solution s : r.solutions()) {
            boolean isNative = s.name().equals("native");
            if (s.status() != null) {
                b.append("| ").append(s.name()).append(" | — | ").append(escape(s.status())).append(" | — | — | — | — | — | — | — | ")
                        .append(isNative ? "—" : model(s.name(), IsolationLevel.STRICT)).append(" |\n");
                continue;
            }
            List<String> levels = isNative || isos.isEmpty() ? List.of("—") : isos;
            for (String iso : levels) {
                b.append("| ").append(s.name()).append(" | ").append(iso).append(" | ");
                for (String w : ContinuumResult.WORKLOADS) {
                    b.append(w.equals("fileio") && !s.fileCompared()
                            ? workloadCell(s.workloads().get(w), OptionalDouble.empty()) + " (tmpfs, not compared)"
                            : workloadCell(s.workloads().get(w), relative(n, s, w))).append(" | ");
                }
                OptionalDouble g = relativeGeomean(r, s);
                b.append(g.isPresent() ? String.format(Locale.ROOT, "**%.3f**", g.getAsDouble()) : "—").append(" | ");
                if (isNative) {
                    b.append("not injected (on the host a kernel fault is a host-kernel fault) | not injected | "
                            + "E3 is E-Zone 1 (global) / limited |\n");
                    continue;
                }
                b.append(zoneCell(cell(r, s.name(), iso, 3))).append(" | ").append(zoneCell(cell(r, s.name(), iso, 4))).append(" | ")
                        .append(iso.equals("—") ? "—" : model(s.name(), IsolationLevel.parse(iso))).append(" |\n");
            }
        }
        b.append('\n');
        b.append("Times are medians of ").append(r.runs()).append(" runs (native: ").append(2 * r.runs())
                .append(", half before and half after the instances; round trip: median of every round trip, p95 in the JSON); the ratio in brackets is native time / time here (1.000 = native, higher is faster); "
                + "the geomean is over the workloads with a ratio (file I/O into a tmpfs is not compared with native's disk).\n");
        b.append("Sizes: cpu ").append(r.sizes().cpuIterations()).append(" iterations, mem triad 3 × ").append(r.sizes().memMib())
                .append(" MiB × ").append(r.sizes().memReps()).append(", syscall ").append(r.sizes().syscalls())
                .append(" getppid calls, file I/O ").append(r.sizes().fileMib()).append(" MiB written + fsync + read back, ")
                .append(r.sizes().roundTrips()).append(" round trips per run.\n");
        for (ContinuumResult.Solution s : r.solutions()) {
            if (s.status() == null) {
                b.append("- ").append(s.name()).append(": file I/O on ").append(s.fileWhere()).append("; round trip: ")
                        .append(s.roundTrip()).append('\n');
            }
        }
        return b.toString();
    }

    private static String faultName(ContinuumResult r, int zone) {
        return r.zones().stream().filter(z -> z.zone() == zone).map(ContinuumResult.ZoneCell::fault).findFirst().orElse("none");
    }

    private static String workloadCell(ContinuumResult.Measure m, OptionalDouble rel) {
        if (m == null) {
            return "—";
        }
        String t = m.unit().equals("s") ? String.format(Locale.ROOT, "%.3f s", m.median())
                : String.format(Locale.ROOT, "%.0f µs", m.median());
        return rel.isPresent() ? t + String.format(Locale.ROOT, " (%.3f)", rel.getAsDouble()) : t;
    }

    private static String zoneCell(Optional<ContinuumResult.ZoneCell> c) {
        if (c.isEmpty()) {
            return "not run";
        }
        ContinuumResult.ZoneCell z = c.get();
        if (z.refused() != null) {
            return "refused: " + escape(z.refused());
        }
        return z.contained() + "/" + z.runs() + (z.broken() > 0 ? " (" + z.broken() + " broken)" : "");
    }

    private static String model(String backend, IsolationLevel iso) {
        return ZoneModel.disposition(ErrorZone.GUEST_KERNEL, backend, iso).effect().id() + " / "
                + ZoneModel.disposition(ErrorZone.GUEST_USER, backend, iso).effect().id();
    }

    private static String escape(String s) {
        return s.replace("|", "\\|").replace("\n", " ");
    }

    /**
     * The mean over E-Zone 3 and E-Zone 4 of the fraction of faults contained on {@code backend} × {@code iso}; a
     * zone whose faults were refused counts as 0 (hpcvirt refuses them because the model expects them to reach the
     * host kernel: nothing contains them there). Empty if neither zone has a cell.
     */
    public static OptionalDouble containedFraction(ContinuumResult r, String backend, String iso) {
        double sum = 0;
        int zones = 0;
        for (int zone : new int[] {3, 4}) {
            Optional<ContinuumResult.ZoneCell> c = cell(r, backend, iso, zone);
            if (c.isEmpty() || (c.get().refused() == null && c.get().runs() == 0)) {
                continue;
            }
            zones++;
            sum += c.get().refused() != null ? 0 : (double) c.get().contained() / c.get().runs();
        }
        return zones == 0 ? OptionalDouble.empty() : OptionalDouble.of(sum / zones);
    }

    /**
     * Writes the chart: relative performance (log scale) against {@link #containedFraction}, one point per
     * solution × isolation level (levels with the same point share it), native as the 1.0 line.
     */
    public static void chart(ContinuumResult r, Path png) {
        System.setProperty("java.awt.headless", "true");
        XYChart c = new XYChartBuilder().width(900).height(560).title("Isolation–performance continuum (" + r.date() + ")")
                .xAxisTitle("faults contained (mean of E-Zone 3 and 4; a refused zone counts 0)").yAxisTitle("performance relative to native (geomean)").build();
        c.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        c.getStyler().setYAxisLogarithmic(true);
        c.getStyler().setXAxisMin(-0.05).setXAxisMax(1.05);
        c.getStyler().setMarkerSize(12);
        double lowest = 1.0;
        int points = 0;
        for (ContinuumResult.Solution s : r.solutions()) {
            if (s.status() != null || s.name().equals("native")) {
                continue;
            }
            OptionalDouble g = relativeGeomean(r, s);
            if (g.isEmpty()) {
                continue;
            }
            Map<String, Double> byLevel = new LinkedHashMap<>();
            for (String iso : isolations(r)) {
                containedFraction(r, s.name(), iso).ifPresent(f -> byLevel.put(iso, f));
            }
            // levels with the same measured point are one marker, named by all of them
            Map<Double, List<String>> same = new LinkedHashMap<>();
            byLevel.forEach((iso, f) -> same.computeIfAbsent(f, k -> new ArrayList<>()).add(iso));
            for (Map.Entry<Double, List<String>> e : same.entrySet()) {
                boolean e3Refused = e.getValue().stream().anyMatch(iso -> cell(r, s.name(), iso, 3).map(z -> z.refused() != null).orElse(false));
                c.addSeries(s.name() + " " + String.join("/", e.getValue()) + (e3Refused ? " (E-Zone 3 refused)" : ""),
                        new double[] {e.getKey()}, new double[] {g.getAsDouble()});
                points++;
            }
            lowest = Math.min(lowest, g.getAsDouble());
        }
        XYSeries line = c.addSeries("native = 1.0", new double[] {-0.05, 1.05}, new double[] {1.0, 1.0});
        line.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        line.setMarker(SeriesMarkers.NONE);
        c.getStyler().setYAxisMin(Math.pow(10, Math.floor(Math.log10(lowest * 0.8))));
        c.getStyler().setYAxisMax(2.0);
        try {
            BitmapEncoder.saveBitmap(c, png.toString(), BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot write the chart " + png + ": " + e.getMessage());
        }
        if (points == 0 && !r.zones().isEmpty()) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "the chart has no point: no solution has both performance and faults");
        }
    }

    /** The measurements {@code hpcvirt zones} shows: per backend × isolation level that has both performance and faults. */
    public static ContinuumMeasurements measurements(ContinuumResult r, String machine, String note) {
        List<ContinuumMeasurements.Row> rows = new ArrayList<>();
        for (ContinuumResult.Solution s : r.solutions()) {
            OptionalDouble g = relativeGeomean(r, s);
            if (s.name().equals("native") || g.isEmpty()) {
                continue;
            }
            for (String iso : isolations(r)) {
                rows.add(new ContinuumMeasurements.Row(s.name(), iso, g.getAsDouble(), faults(cell(r, s.name(), iso, 3)),
                        faults(cell(r, s.name(), iso, 4))));
            }
        }
        return new ContinuumMeasurements(r.date(), machine, note, rows);
    }

    private static ContinuumMeasurements.Faults faults(Optional<ContinuumResult.ZoneCell> c) {
        return c.map(z -> new ContinuumMeasurements.Faults(z.contained(), z.runs(), z.refused())).orElse(null);
    }
}
