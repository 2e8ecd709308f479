package org.hpcvirt.ft;

import java.util.ArrayList;
import java.util.List;
import org.hipparchus.optim.MaxEval;
import org.hipparchus.optim.nonlinear.scalar.GoalType;
import org.hipparchus.optim.univariate.BrentOptimizer;
import org.hipparchus.optim.univariate.SearchInterval;
import org.hipparchus.optim.univariate.UnivariateObjectiveFunction;
import org.hipparchus.optim.univariate.UnivariatePointValuePair;

/**
 * Checkpoint-interval mathematics. A <em>period</em> here is the work time W between the end of
 * one checkpoint and the start of the next; one segment is W of work followed by a checkpoint of
 * cost C. Stateless and thread-safe.
 *
 * <p>Exact model (exponential failures of rate λ = 1/M, failures possible during work,
 * checkpoint and restart but not during downtime): the expected wall time to complete one segment
 * is {@code E(W) = e^{λR} (1/λ + D) (e^{λ(W+C)} − 1)}, and the waste fraction is
 * {@code 1 − W/E(W)}. Its minimum is at {@code W* = (1 + W₀(−e^{−λC−1}))/λ} (W₀: principal
 * branch of Lambert W) and does not depend on R or D.
 */
public final class CheckpointIntervals {
    private CheckpointIntervals() {
    }

    /** Young (1974): {@code sqrt(2·C·M)}. */
    public static double young(IntervalInputs in) {
        return Math.sqrt(2 * in.checkpointCost() * in.mtbf());
    }

    /**
     * Daly (2006) higher-order estimate: {@code sqrt(2CM)·[1 + ⅓·sqrt(C/2M) + ⅑·(C/2M)] − C} when
     * C &lt; 2M, else M.
     */
    public static double daly(IntervalInputs in) {
        double c = in.checkpointCost();
        double m = in.mtbf();
        if (c >= 2 * m) {
            return m;
        }
        double x = c / (2 * m);
        return Math.sqrt(2 * c * m) * (1 + Math.sqrt(x) / 3 + x / 9) - c;
    }

    /**
     * The exact optimum for exponential failures, {@code (1 + W₀(−e^{−λC−1}))/λ}. Computed as
     * {@code v/λ} with v the root in (0, 1) of {@code ln(1−v) + v + λC = 0}, which is the same
     * number written so that it keeps full precision when λC is tiny.
     */
    public static double exactOptimum(IntervalInputs in) {
        double a = in.checkpointCost() * in.rate();
        if (a == 0) {
            return 0;
        }
        // Newton on g(v) = log1p(-v) + v + a, g'(v) = -v/(1-v); g is concave and decreasing on (0,1).
        double v = Math.min(Math.sqrt(2 * a), 0.5);
        for (int i = 0; i < 100; i++) {
            double g = Math.log1p(-v) + v + a;
            double next = v - g / (-v / (1 - v));
            if (!(next > 0)) {
                next = v / 2;
            } else if (next >= 1) {
                next = (v + 1) / 2;
            }
            if (Math.abs(next - v) <= 1e-15 * v) {
                v = next;
                break;
            }
            v = next;
        }
        return v * in.mtbf();
    }

    /** The exact optimum found by minimising {@link #waste} numerically (Brent), for cross-checks. */
    public static double exactOptimumNumeric(IntervalInputs in) {
        double m = in.mtbf();
        BrentOptimizer opt = new BrentOptimizer(1e-12, 1e-14);
        // Optimise over log W: the optimum lies in (0, M) and may be many orders below M.
        UnivariatePointValuePair p = opt.optimize(new MaxEval(10_000), GoalType.MINIMIZE,
                new UnivariateObjectiveFunction(lw -> waste(in, Math.exp(lw))),
                new SearchInterval(Math.log(m * 1e-9), Math.log(m)));
        return Math.exp(p.getPoint());
    }

    /** Principal branch W₀ of the Lambert W function on [−1/e, ∞) (Halley iteration). */
    public static double lambertW0(double x) {
        double branch = -1 / Math.E;
        if (x < branch) {
            throw new IllegalArgumentException("lambertW0 defined for x >= -1/e, got " + x);
        }
        if (x == 0) {
            return 0;
        }
        double w;
        if (x < -0.25) {
            double p = Math.sqrt(2 * (Math.E * x + 1));
            w = -1 + p - p * p / 3 + 11.0 / 72 * p * p * p;
        } else {
            w = Math.log1p(x);
        }
        for (int i = 0; i < 100; i++) {
            double ew = Math.exp(w);
            double f = w * ew - x;
            double wp1 = w + 1;
            if (wp1 == 0) {
                break;
            }
            double next = w - f / (ew * wp1 - (w + 2) * f / (2 * wp1));
            if (Math.abs(next - w) <= 1e-15 * (1 + Math.abs(next))) {
                return next;
            }
            w = next;
        }
        return w;
    }

    /** Expected wall time to complete one segment of W seconds of work plus its checkpoint. */
    public static double expectedSegmentTime(IntervalInputs in, double work) {
        double l = in.rate();
        return Math.exp(l * in.restartCost()) * (in.mtbf() + in.downtime())
                * Math.expm1(l * (work + in.checkpointCost()));
    }

    /** Expected waste fraction {@code 1 − W/E(W)} with period W (exact exponential model). */
    public static double waste(IntervalInputs in, double work) {
        if (!(work > 0)) {
            return 1;
        }
        return 1 - work / expectedSegmentTime(in, work);
    }

    /**
     * The best periodic plan when a predictor is also present (hybrid policy). Predictions with a
     * lead time shorter than the proactive cost are useless. If predictions are trusted, the
     * predicted share r of failures no longer causes rollbacks, so the checkpoint period is the
     * exact optimum for the unpredicted failures alone (rate (1−r)/M); acting costs Cp per
     * prediction, true or false, which removes a fraction {@code Cp·r/(p·M)} of wall time.
     * Predictions are trusted when that beats ignoring them and when, for a failure striking in
     * the middle of a segment, {@link TrustRule#trust} holds.
     */
    public static PredictionPlan withPrediction(IntervalInputs in, PredictorQuality pred, double proactiveCost) {
        IntervalInputs.requireNonNegative(proactiveCost, "proactive cost");
        double plain = exactOptimum(in);
        double plainWaste = waste(in, plain);
        if (pred.recall() == 0) {
            return new PredictionPlan(plain, plainWaste, false, "recall is 0: nothing is predicted");
        }
        if (pred.leadTime() < proactiveCost) {
            return new PredictionPlan(plain, plainWaste, false, "lead time " + seconds(pred.leadTime())
                    + " is shorter than the proactive cost " + seconds(proactiveCost) + ": predictions come too late");
        }
        double actingShare = proactiveCost * pred.predictionRate(in.mtbf());
        if (actingShare >= 1) {
            return new PredictionPlan(plain, plainWaste, false,
                    "acting on every prediction would take all the time (Cp·r/(p·M) ≥ 1)");
        }
        double period;
        double reactiveEfficiency;
        if (pred.recall() == 1) {
            period = Double.POSITIVE_INFINITY;
            reactiveEfficiency = 1;
        } else {
            IntervalInputs unpredicted = in.withMtbf(in.mtbf() / (1 - pred.recall()));
            period = exactOptimum(unpredicted);
            reactiveEfficiency = 1 - waste(unpredicted, period);
        }
        double predWaste = 1 - reactiveEfficiency * (1 - actingShare);
        TrustRule rule = new TrustRule(pred.precision(), proactiveCost, in.restartCost(), in.downtime());
        double midSegmentRisk = Double.isInfinite(period) ? in.mtbf() : (period + in.checkpointCost()) / 2;
        if (!rule.trust(midSegmentRisk)) {
            return new PredictionPlan(plain, plainWaste, false, "p·(expected loss) = "
                    + seconds(pred.precision() * (midSegmentRisk + in.restartCost() + in.downtime()))
                    + " does not exceed the proactive cost " + seconds(proactiveCost));
        }
        if (predWaste >= plainWaste) {
            return new PredictionPlan(plain, plainWaste, false, "false alarms cost more than the predictions save");
        }
        return new PredictionPlan(period, predWaste, true, rule.threshold() == 0
                ? "trust every prediction: p·(R + D) > Cp already"
                : "trust a prediction when the work at risk exceeds " + seconds(rule.threshold()) + " (p·(risk + R + D) > Cp)");
    }

    /** The four periods side by side with their expected waste (exact exponential model). */
    public static List<IntervalChoice> compare(IntervalInputs in, PredictorQuality pred, double proactiveCost) {
        List<IntervalChoice> out = new ArrayList<>();
        double y = young(in);
        double d = daly(in);
        double e = exactOptimum(in);
        out.add(new IntervalChoice("young", y, waste(in, y), "sqrt(2CM)"));
        out.add(new IntervalChoice("daly", d, waste(in, d), "Daly 2006 higher-order estimate"));
        out.add(new IntervalChoice("exact", e, waste(in, e), "(1 + W0(-e^(-C/M-1)))·M"));
        PredictionPlan p = withPrediction(in, pred, proactiveCost);
        out.add(new IntervalChoice("with-prediction", p.period(), p.waste(),
                (p.trusted() ? "trusted: " : "not trusted: ") + p.reason()));
        return List.copyOf(out);
    }

    private static String seconds(double s) {
        return org.hpcvirt.api.Durations.format(java.time.Duration.ofNanos(Math.round(s * 1e9)));
    }

    /**
     * One row of {@link #compare}.
     *
     * @param method {@code young}, {@code daly}, {@code exact} or {@code with-prediction}
     * @param period work seconds between checkpoints (infinite: never checkpoint)
     * @param waste  expected waste fraction in [0, 1]
     * @param note   formula or trust decision, for humans
     */
    public record IntervalChoice(String method, double period, double waste, String note) {
    }

    /**
     * Result of {@link #withPrediction}.
     *
     * @param period  work seconds between checkpoints (infinite when recall is 1 and predictions are trusted)
     * @param waste   expected waste fraction
     * @param trusted whether predictions should be acted on
     * @param reason  why, for humans
     */
    public record PredictionPlan(double period, double waste, boolean trusted, String reason) {
    }
}
