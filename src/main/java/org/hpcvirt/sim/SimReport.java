package org.hpcvirt.sim;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.hpcvirt.api.Durations;

/** Text and JSON-ready forms of a {@link Summary}. Stateless and thread-safe. */
public final class SimReport {
    private SimReport() {
    }

    /** Seconds as a short human duration ("never" for infinity). */
    public static String duration(double seconds) {
        return Double.isInfinite(seconds) ? "never" : Durations.format(Duration.ofNanos(Math.round(seconds * 1e9)));
    }

    /** A map for JSON: scalar means at top level ({@code waste}, {@code efficiency}, …) and intervals under {@code ci95}. */
    public static Map<String, Object> toMap(Summary s) {
        Scenario sc = s.scenario();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("policy", sc.policy().id());
        m.put("failureModel", sc.failures().spec());
        m.put("nodes", sc.nodes());
        m.put("platformMtbf", sc.platformMtbf());
        m.put("period", Double.isInfinite(s.period()) ? null : s.period());
        m.put("replications", sc.replications());
        m.put("horizon", sc.horizon());
        m.put("waste", s.waste().mean());
        m.put("efficiency", s.efficiency().mean());
        m.put("checkpoints", s.checkpoints().mean());
        m.put("failures", s.failures().mean());
        m.put("avoided", s.avoided().mean());
        m.put("migrations", s.migrations().mean());
        m.put("falseAlarms", s.falseAlarms().mean());
        m.put("makespan", s.makespan().mean());
        m.put("finished", s.finished());
        Map<String, Object> ci = new LinkedHashMap<>();
        ci.put("waste", new double[] {s.waste().low(), s.waste().high()});
        ci.put("efficiency", new double[] {s.efficiency().low(), s.efficiency().high()});
        ci.put("checkpoints", new double[] {s.checkpoints().low(), s.checkpoints().high()});
        ci.put("failures", new double[] {s.failures().low(), s.failures().high()});
        ci.put("migrations", new double[] {s.migrations().low(), s.migrations().high()});
        ci.put("falseAlarms", new double[] {s.falseAlarms().low(), s.falseAlarms().high()});
        ci.put("makespan", new double[] {s.makespan().low(), s.makespan().high()});
        m.put("ci95", ci);
        return m;
    }

    /** Human-readable lines. */
    public static String text(Summary s) {
        Scenario sc = s.scenario();
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "platform: %d nodes, %s failures, platform MTBF %s%n", sc.nodes(),
                sc.failures().spec(), duration(sc.platformMtbf())));
        b.append(String.format(Locale.ROOT, "costs: checkpoint %s, restart %s, downtime %s, migration %s%n",
                duration(sc.checkpointCost()), duration(sc.restartCost()), sc.downtime().spec(), duration(sc.migrationCost())));
        b.append(String.format(Locale.ROOT, "policy: %s, period %s = %s", sc.policy().id(), sc.period(), duration(s.period())));
        if (sc.predictor().recall() > 0) {
            b.append(String.format(Locale.ROOT, ", predictor recall %.2f precision %.2f lead %s, action %s",
                    sc.predictor().recall(), sc.predictor().precision(), duration(sc.predictor().leadTime()),
                    sc.action().name().toLowerCase(Locale.ROOT)));
        }
        b.append(String.format(Locale.ROOT, "%n%d replications, horizon %s%s%n", sc.replications(), duration(sc.horizon()),
                Double.isFinite(sc.work()) ? ", work " + duration(sc.work()) + " (finished in " + s.finished() + ")" : ""));
        b.append(String.format(Locale.ROOT, "%-12s %12s   %s%n", "metric", "mean", "95% CI"));
        row(b, "waste", s.waste(), "%.4f");
        row(b, "efficiency", s.efficiency(), "%.4f");
        row(b, "checkpoints", s.checkpoints(), "%.1f");
        row(b, "failures", s.failures(), "%.1f");
        row(b, "avoided", s.avoided(), "%.1f");
        row(b, "migrations", s.migrations(), "%.1f");
        row(b, "falseAlarms", s.falseAlarms(), "%.1f");
        b.append(String.format(Locale.ROOT, "%-12s %12s   [%s, %s]%n", "makespan", duration(s.makespan().mean()),
                duration(s.makespan().low()), duration(s.makespan().high())));
        return b.toString();
    }

    private static void row(StringBuilder b, String name, Estimate e, String f) {
        b.append(String.format(Locale.ROOT, "%-12s %12s   [" + f + ", " + f + "]%n", name, String.format(Locale.ROOT, f, e.mean()),
                e.low(), e.high()));
    }
}
