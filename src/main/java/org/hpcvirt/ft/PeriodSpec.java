package org.hpcvirt.ft;

import java.time.Duration;
import java.util.Locale;
import org.hpcvirt.api.Durations;

/**
 * A checkpoint period as a user writes it: a duration ({@code 2h}) or a rule ({@code young},
 * {@code daly}, {@code optimal}) resolved once the MTBF and the costs are known. Immutable.
 *
 * @param rule  {@code young}, {@code daly}, {@code optimal}, or {@code fixed} when {@code fixed} is set
 * @param fixed the fixed period, or null for a rule
 */
public record PeriodSpec(String rule, Duration fixed) {
    /** The exact optimum (with prediction for the hybrid policy). */
    public static final PeriodSpec OPTIMAL = new PeriodSpec("optimal", null);

    /** @throws org.hpcvirt.api.HpcvirtException INVALID_INPUT naming {@code what} */
    public static PeriodSpec parse(String text, String what) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("young") || t.equals("daly") || t.equals("optimal")) {
            return new PeriodSpec(t, null);
        }
        Duration d = Durations.parse(text, what + " (young, daly, optimal or a duration)");
        if (d.isZero()) {
            throw org.hpcvirt.api.HpcvirtException.invalid(what + ": period must be positive");
        }
        return new PeriodSpec("fixed", d);
    }

    /** Whether this is a fixed duration. */
    public boolean isFixed() {
        return fixed != null;
    }

    /**
     * The period in seconds for the given platform and policy. For a hybrid policy
     * {@code optimal} is the optimum with prediction; Young and Daly use the MTBF of unpredicted
     * failures when the plan trusts predictions.
     */
    public double resolve(PolicyKind kind, IntervalInputs in, PredictorQuality pred, double proactiveCost) {
        if (isFixed()) {
            return Durations.seconds(fixed);
        }
        IntervalInputs effective = in;
        if (kind == PolicyKind.HYBRID) {
            CheckpointIntervals.PredictionPlan plan = CheckpointIntervals.withPrediction(in, pred, proactiveCost);
            if (plan.trusted()) {
                if (rule.equals("optimal")) {
                    return plan.period();
                }
                effective = pred.recall() >= 1 ? null : in.withMtbf(in.mtbf() / (1 - pred.recall()));
                if (effective == null) {
                    return Double.POSITIVE_INFINITY;
                }
            }
        }
        return switch (rule) {
            case "young" -> CheckpointIntervals.young(effective);
            case "daly" -> CheckpointIntervals.daly(effective);
            default -> CheckpointIntervals.exactOptimum(effective);
        };
    }

    @Override
    public String toString() {
        return isFixed() ? Durations.format(fixed) : rule;
    }
}
