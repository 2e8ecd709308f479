package org.hpcvirt.sim;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hpcvirt.api.Durations;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.ft.IntervalInputs;
import org.hpcvirt.ft.PeriodSpec;
import org.hpcvirt.ft.PolicyKind;
import org.hpcvirt.ft.PolicyMerge;
import org.hpcvirt.ft.PolicySettings;
import org.hpcvirt.ft.PredictorQuality;
import org.hpcvirt.ft.ProactiveAction;
import org.hpcvirt.ft.StrictYaml;
import org.hpcvirt.ft.TrustRule;

/**
 * A simulation scenario, parsed and validated; times in seconds. Immutable.
 *
 * <p>A scenario is built from settings, a map from the keys of {@link #KEYS} to text, which is
 * what a scenario YAML file holds and what the {@code sim run} flags override. Errors name the key.
 *
 * @param nodes         nodes of the platform (the job spans all of them)
 * @param nodeMtbf      mean time between failures of one node
 * @param failures      failure model
 * @param checkpointCost C
 * @param restartCost   R
 * @param downtime      D (model)
 * @param migrationCost Cp of a live migration
 * @param policy        policy family
 * @param action        proactive action
 * @param period        checkpoint period rule or duration
 * @param predictor     predictor quality (recall 0: none)
 * @param horizon       simulated time limit
 * @param work          useful work the job needs, or +∞ to run until the horizon
 * @param replications  independent runs, &ge; 1
 * @param seed          base random seed
 */
public record Scenario(int nodes, double nodeMtbf, FailureModel failures, double checkpointCost, double restartCost,
        RepairModel downtime, double migrationCost, PolicyKind policy, ProactiveAction action, PeriodSpec period,
        PredictorQuality predictor, double horizon, double work, int replications, long seed) {

    /** The setting keys, in the order of the scenario file documentation. */
    public static final List<String> KEYS = List.of("nodes", "nodeMtbf", "failures", "checkpointCost", "restartCost",
            "downtime", "migrationCost", "policy", "action", "period", "recall", "precision", "leadTime", "horizon",
            "work", "replications", "seed");

    /** Defaults used for keys that neither the file nor a flag sets. */
    public static final Map<String, String> DEFAULTS = Map.ofEntries(Map.entry("nodes", "1024"),
            Map.entry("nodeMtbf", "5y"), Map.entry("failures", "exponential"), Map.entry("checkpointCost", "60s"),
            Map.entry("restartCost", "60s"), Map.entry("downtime", "60s"), Map.entry("migrationCost", "30s"),
            Map.entry("policy", "reactive"), Map.entry("action", "migrate"), Map.entry("period", "optimal"),
            Map.entry("recall", "0"), Map.entry("precision", "1"), Map.entry("leadTime", "0s"),
            Map.entry("horizon", "1y"), Map.entry("work", "none"), Map.entry("replications", "10"), Map.entry("seed", "1"));

    /** Maximum nodes accepted (2^24). */
    public static final int MAX_NODES = 1 << 24;

    /** The scenario YAML file: every key optional, unknown keys rejected. Values as text or numbers. */
    record File(@JsonProperty("nodes") String nodes, @JsonProperty("nodeMtbf") String nodeMtbf,
            @JsonProperty("failures") String failures, @JsonProperty("checkpointCost") String checkpointCost,
            @JsonProperty("restartCost") String restartCost, @JsonProperty("downtime") String downtime,
            @JsonProperty("migrationCost") String migrationCost, @JsonProperty("policy") String policy,
            @JsonProperty("action") String action, @JsonProperty("period") String period,
            @JsonProperty("recall") String recall, @JsonProperty("precision") String precision,
            @JsonProperty("leadTime") String leadTime, @JsonProperty("horizon") String horizon,
            @JsonProperty("work") String work, @JsonProperty("replications") String replications,
            @JsonProperty("seed") String seed) {
        Map<String, String> settings() {
            String[] v = {nodes, nodeMtbf, failures, checkpointCost, restartCost, downtime, migrationCost, policy, action,
                period, recall, precision, leadTime, horizon, work, replications, seed};
            Map<String, String> m = new LinkedHashMap<>();
            for (int i = 0; i < v.length; i++) {
                if (v[i] != null) {
                    m.put(KEYS.get(i), v[i]);
                }
            }
            return m;
        }
    }

    /** Reads the settings of a scenario file (strict: unknown keys are errors naming the line). */
    public static Map<String, String> readSettings(Path file) {
        return StrictYaml.read(file, File.class).settings();
    }

    /**
     * Builds a scenario from settings (missing keys take {@link #DEFAULTS}).
     *
     * @param source where the settings come from, prefixed to error messages (e.g. the file name)
     */
    public static Scenario of(Map<String, String> settings, String source) {
        return of(settings, key -> source + ": " + key);
    }

    /**
     * Builds a scenario from settings (missing keys take {@link #DEFAULTS}).
     *
     * @param label how to name a key in error messages (e.g. {@code --node-mtbf} for a flag)
     */
    public static Scenario of(Map<String, String> settings, java.util.function.UnaryOperator<String> label) {
        for (String k : settings.keySet()) {
            if (!KEYS.contains(k)) {
                throw HpcvirtException.invalid(label.apply(k) + ": unknown setting '" + k + "' (known: " + String.join(", ", KEYS) + ")");
            }
        }
        Map<String, String> s = new LinkedHashMap<>(DEFAULTS);
        s.putAll(settings);
        java.util.function.UnaryOperator<String> p = label;
        FailureModel failures = FailureModel.parse(s.get("failures"), p.apply("failures"));
        int nodes = failures.nodes(integer(s, "nodes", p, 1, MAX_NODES));
        double nodeMtbf = positive(s, "nodeMtbf", p);
        RepairModel downtime = RepairModel.parse(s.get("downtime"), p.apply("downtime"), failures);
        PredictorQuality pred;
        try {
            pred = new PredictorQuality(number(s, "recall", p), number(s, "precision", p), duration(s, "leadTime", p));
        } catch (HpcvirtException e) {
            throw HpcvirtException.invalid(p.apply("predictor") + ": " + e.getMessage());
        }
        String work = s.get("work").trim();
        double workSeconds = work.equals("none") ? Double.POSITIVE_INFINITY : positive(s, "work", p);
        return new Scenario(nodes, nodeMtbf, failures, duration(s, "checkpointCost", p), duration(s, "restartCost", p),
                downtime, duration(s, "migrationCost", p), PolicyKind.parse(s.get("policy").trim(), p.apply("policy")),
                PolicyMerge.parseAction(s.get("action").trim(), p.apply("action")), PeriodSpec.parse(s.get("period"), p.apply("period")),
                pred, positive(s, "horizon", p), workSeconds, integer(s, "replications", p, 1, 10_000),
                integer(s, "seed", p, Integer.MIN_VALUE, Integer.MAX_VALUE));
    }

    /** Platform MTBF in seconds. */
    public double platformMtbf() {
        return failures.platformMtbf(nodes, nodeMtbf);
    }

    /** Cost of one proactive action: Cp for a migration, C + R for a pause to storage. */
    public double proactiveCost() {
        return action == ProactiveAction.MIGRATE ? migrationCost : checkpointCost + restartCost;
    }

    /** The inputs of the interval formulas for this platform. */
    public IntervalInputs intervalInputs() {
        return new IntervalInputs(platformMtbf(), checkpointCost, restartCost, downtime.mean());
    }

    /** The checkpoint period in seconds (rules resolved for this platform and predictor). */
    public double periodSeconds() {
        return period.resolve(policy, intervalInputs(), predictor, proactiveCost());
    }

    /** The policy settings for this scenario. */
    public PolicySettings policySettings() {
        return new PolicySettings(policy, periodSeconds(), action,
                new TrustRule(predictor.precision(), proactiveCost(), restartCost, downtime.mean()));
    }

    private static double duration(Map<String, String> s, String key, java.util.function.UnaryOperator<String> p) {
        return Durations.seconds(Durations.parse(s.get(key), p.apply(key)));
    }

    private static double positive(Map<String, String> s, String key, java.util.function.UnaryOperator<String> p) {
        double v = duration(s, key, p);
        if (!(v > 0)) {
            throw HpcvirtException.invalid(p.apply(key) + ": must be positive");
        }
        return v;
    }

    private static double number(Map<String, String> s, String key, java.util.function.UnaryOperator<String> p) {
        try {
            return Double.parseDouble(s.get(key).trim());
        } catch (NumberFormatException e) {
            throw HpcvirtException.invalid(p.apply(key) + ": '" + s.get(key) + "' is not a number");
        }
    }

    private static int integer(Map<String, String> s, String key, java.util.function.UnaryOperator<String> p, int min, int max) {
        long v;
        try {
            v = Long.parseLong(s.get(key).trim());
        } catch (NumberFormatException e) {
            throw HpcvirtException.invalid(p.apply(key) + ": '" + s.get(key) + "' is not an integer");
        }
        if (v < min || v > max) {
            throw HpcvirtException.invalid(p.apply(key) + ": " + v + " is outside [" + min + ", " + max + "]");
        }
        return (int) v;
    }
}
