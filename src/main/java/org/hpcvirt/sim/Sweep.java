package org.hpcvirt.sim;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.hpcvirt.api.Durations;
import org.hpcvirt.api.HpcvirtException;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;

/**
 * A parameter sweep: one scenario per value of one setting, a Markdown report and PNG charts of
 * waste and of event counts (with 95 % intervals). Stateless and thread-safe.
 */
public final class Sweep {
    private Sweep() {
    }

    /**
     * One swept value and its result.
     *
     * @param value   the setting's text
     * @param summary the result of all replications
     */
    public record Point(String value, Summary summary) {
    }

    /**
     * Parses {@code PARAM=v1,v2,…}.
     *
     * @return the setting key and its values (at least one)
     */
    public static Map.Entry<String, List<String>> parse(String spec) {
        int eq = spec == null ? -1 : spec.indexOf('=');
        if (eq <= 0 || eq == spec.length() - 1) {
            throw HpcvirtException.invalid("--sweep: use PARAM=v1,v2,… (e.g. recall=0,0.3,0.6)");
        }
        String key = spec.substring(0, eq).trim();
        if (!Scenario.KEYS.contains(key)) {
            throw HpcvirtException.invalid("--sweep: unknown setting '" + key + "' (known: " + String.join(", ", Scenario.KEYS) + ")");
        }
        List<String> values = List.of(spec.substring(eq + 1).split(",")).stream().map(String::trim).toList();
        if (values.stream().anyMatch(String::isEmpty)) {
            throw HpcvirtException.invalid("--sweep: empty value in '" + spec + "'");
        }
        return Map.entry(key, values);
    }

    /** Runs every value (each scenario is validated before any run starts). */
    public static List<Point> run(Map<String, String> base, String source, String key, List<String> values) {
        List<Scenario> scenarios = new ArrayList<>();
        for (String v : values) {
            Map<String, String> s = new LinkedHashMap<>(base);
            s.put(key, v);
            scenarios.add(Scenario.of(s, source + " (" + key + "=" + v + ")"));
        }
        List<Point> out = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            out.add(new Point(values.get(i), Simulator.run(scenarios.get(i))));
        }
        return out;
    }

    /** Writes {@code report.md}, {@code waste.png} and {@code events.png} into {@code dir}; returns the report path. */
    public static Path write(Path dir, String key, List<Point> points, String command) {
        try {
            System.setProperty("java.awt.headless", "true");
            Files.createDirectories(dir);
            double[] x = numericAxis(points);
            Chart<?, ?> waste = chart(key, x, points, "waste", List.of("waste"));
            Chart<?, ?> events = chart(key, x, points, "per run", List.of("checkpoints", "failures", "migrations", "falseAlarms"));
            BitmapEncoder.saveBitmap(waste, dir.resolve("waste.png").toString(), BitmapEncoder.BitmapFormat.PNG);
            BitmapEncoder.saveBitmap(events, dir.resolve("events.png").toString(), BitmapEncoder.BitmapFormat.PNG);
            Path report = dir.resolve("report.md");
            Files.writeString(report, markdown(key, points, command));
            return report;
        } catch (IOException e) {
            throw HpcvirtException.invalid("--out " + dir + ": cannot write report: " + e.getMessage());
        }
    }

    static String markdown(String key, List<Point> points, String command) {
        Scenario first = points.get(0).summary().scenario();
        StringBuilder b = new StringBuilder();
        b.append("# Sweep of `").append(key).append("`\n\n");
        b.append("Command: `").append(command).append("`\n\n");
        b.append(String.format(Locale.ROOT, "Base scenario: %d nodes, %s failures, policy %s, %d replications of %s each; "
                + "intervals are 95 %% confidence intervals over replications.%n%n", first.nodes(), first.failures().spec(),
                first.policy().id(), first.replications(), SimReport.duration(first.horizon())));
        b.append("| ").append(key).append(" | period | waste | 95 % CI | checkpoints | failures | avoided | migrations | false alarms |\n");
        b.append("|---|---|---|---|---|---|---|---|---|\n");
        for (Point p : points) {
            Summary s = p.summary();
            b.append(String.format(Locale.ROOT, "| %s | %s | %.4f | [%.4f, %.4f] | %.1f | %.1f | %.1f | %.1f | %.1f |%n", p.value(),
                    SimReport.duration(s.period()), s.waste().mean(), s.waste().low(), s.waste().high(), s.checkpoints().mean(),
                    s.failures().mean(), s.avoided().mean(), s.migrations().mean(), s.falseAlarms().mean()));
        }
        b.append("\n![waste](waste.png)\n\n![events per run](events.png)\n");
        return b.toString();
    }

    /** Numbers (or durations in seconds) if every value is one, else null (categories). */
    private static double[] numericAxis(List<Point> points) {
        double[] x = new double[points.size()];
        for (int i = 0; i < x.length; i++) {
            String v = points.get(i).value();
            try {
                x[i] = Double.parseDouble(v);
            } catch (NumberFormatException e) {
                try {
                    x[i] = Durations.seconds(Durations.parse(v, "sweep value"));
                } catch (HpcvirtException notDuration) {
                    return null;
                }
            }
        }
        return x;
    }

    private static Chart<?, ?> chart(String key, double[] x, List<Point> points, String yTitle, List<String> series) {
        boolean seconds = x != null && !points.get(0).value().matches("[-0-9.eE]+");
        String xTitle = key + (seconds ? " (s)" : "");
        if (x != null) {
            XYChart c = new XYChartBuilder().width(800).height(500).title(yTitle + " vs " + key).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
            for (String name : series) {
                c.addSeries(name, x, values(points, name), errors(points, name));
            }
            return c;
        }
        CategoryChart c = new CategoryChartBuilder().width(800).height(500).title(yTitle + " vs " + key).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        List<String> cats = points.stream().map(Point::value).toList();
        for (String name : series) {
            List<Double> ys = new ArrayList<>();
            List<Double> es = new ArrayList<>();
            for (double v : values(points, name)) {
                ys.add(v);
            }
            for (double v : errors(points, name)) {
                es.add(v);
            }
            c.addSeries(name, cats, ys, es);
        }
        return c;
    }

    private static double[] values(List<Point> points, String metric) {
        return points.stream().mapToDouble(p -> metric(p.summary(), metric).mean()).toArray();
    }

    private static double[] errors(List<Point> points, String metric) {
        return points.stream().mapToDouble(p -> metric(p.summary(), metric).halfWidth()).toArray();
    }

    private static Estimate metric(Summary s, String name) {
        return switch (name) {
            case "waste" -> s.waste();
            case "checkpoints" -> s.checkpoints();
            case "failures" -> s.failures();
            case "migrations" -> s.migrations();
            case "falseAlarms" -> s.falseAlarms();
            default -> throw new IllegalArgumentException(name);
        };
    }
}
