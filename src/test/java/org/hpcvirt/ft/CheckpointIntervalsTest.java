package org.hpcvirt.ft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import org.hpcvirt.api.HpcvirtException;
import org.junit.jupiter.api.Test;

/**
 * Worked example (by hand): M = 24 h = 86400 s, C = 60 s.
 * Young: sqrt(2·60·86400) = sqrt(10 368 000) = 3219.94 s.
 * Daly: x = C/2M = 3.4722e-4, sqrt(x) = 0.018634; 3219.94·(1 + 0.0062113 + 0.0000386) − 60 = 3180.06 s.
 * Exact: v = W/M solves ln(1−v) + v + C/M = 0, i.e. v²/2 + v³/3 + v⁴/4 + … = a = C/M. Inverting the
 * series with s = sqrt(2a) = 0.0372678: v = s − s²/3 + s³/36 = 0.0368063, W = 3180.06 s.
 * Waste at W (R = D = 0): first order C/W + W/2M = 0.018868 + 0.018403 = 0.0373; exact 0.0368.
 */
class CheckpointIntervalsTest {
    private static final IntervalInputs DAY = new IntervalInputs(86_400, 60, 0, 0);

    @Test
    void youngAndDalyMatchTheHandValues() {
        assertThat(CheckpointIntervals.young(DAY)).isCloseTo(3219.94, within(0.01));
        assertThat(CheckpointIntervals.daly(DAY)).isCloseTo(3180.06, within(0.01));
    }

    @Test
    void exactOptimumMatchesTheSeriesTheLambertFormAndBrent() {
        double s = Math.sqrt(2 * 60 / 86_400.0);
        double series = 86_400 * (s - s * s / 3 + s * s * s / 36);
        double exact = CheckpointIntervals.exactOptimum(DAY);
        assertThat(exact).isCloseTo(series, within(0.05));
        double lambert = (1 + CheckpointIntervals.lambertW0(-Math.exp(-60 / 86_400.0 - 1))) * 86_400;
        assertThat(lambert).isCloseTo(exact, within(exact * 1e-6));
        assertThat(CheckpointIntervals.exactOptimumNumeric(DAY)).isCloseTo(exact, within(exact * 1e-6));
    }

    @Test
    void wasteAtTheOptimumMatchesTheHandValueAndBeatsYoung() {
        double exact = CheckpointIntervals.exactOptimum(DAY);
        assertThat(CheckpointIntervals.waste(DAY, exact)).isCloseTo(0.0368, within(0.0001));
        double firstOrder = 60 / exact + exact / (2 * 86_400.0);
        assertThat(CheckpointIntervals.waste(DAY, exact)).isCloseTo(firstOrder, within(0.001));
        assertThat(CheckpointIntervals.waste(DAY, exact)).isLessThanOrEqualTo(CheckpointIntervals.waste(DAY, CheckpointIntervals.young(DAY)));
    }

    @Test
    void restartAndDowntimeRaiseWasteButNotTheOptimum() {
        IntervalInputs costly = new IntervalInputs(86_400, 60, 600, 300);
        assertThat(CheckpointIntervals.exactOptimum(costly)).isCloseTo(CheckpointIntervals.exactOptimum(DAY), within(1e-6));
        assertThat(CheckpointIntervals.exactOptimumNumeric(costly)).isCloseTo(CheckpointIntervals.exactOptimum(DAY), within(0.01));
        double w = CheckpointIntervals.exactOptimum(costly);
        assertThat(CheckpointIntervals.waste(costly, w)).isGreaterThan(CheckpointIntervals.waste(DAY, w));
        // E(W) by hand for W = M: e^{R/M}(M + D)(e^{(W+C)/M} − 1).
        double e = Math.exp(600 / 86_400.0) * (86_400 + 300) * (Math.exp((86_400 + 60) / 86_400.0) - 1);
        assertThat(CheckpointIntervals.expectedSegmentTime(costly, 86_400)).isCloseTo(e, within(1e-6 * e));
    }

    @Property(tries = 200)
    void lambertW0Inverts(@ForAll @DoubleRange(min = -0.36, max = 50) double x) {
        double w = CheckpointIntervals.lambertW0(x);
        assertThat(w).isGreaterThanOrEqualTo(-1);
        assertThat(w * Math.exp(w)).isCloseTo(x, within(1e-9 * (1 + Math.abs(x))));
    }

    @Test
    void lambertW0NearTheBranchPoint() {
        for (double eps : new double[] {1e-3, 1e-6, 1e-9}) {
            double x = -Math.exp(-1 - eps);
            double w = CheckpointIntervals.lambertW0(x);
            assertThat(w).isGreaterThan(-1).isLessThan(-1 + 2 * Math.sqrt(2 * eps));
            assertThat(w * Math.exp(w)).isCloseTo(x, within(1e-12));
        }
    }

    @Property(tries = 100)
    void exactIsTheMinimumOfTheWaste(@ForAll @DoubleRange(min = 600, max = 1e7) double mtbf,
            @ForAll @DoubleRange(min = 1, max = 3600) double c) {
        IntervalInputs in = new IntervalInputs(mtbf, c, 30, 30);
        double w = CheckpointIntervals.exactOptimum(in);
        double best = CheckpointIntervals.waste(in, w);
        assertThat(best).isLessThanOrEqualTo(CheckpointIntervals.waste(in, w * 1.01) + 1e-12);
        assertThat(best).isLessThanOrEqualTo(CheckpointIntervals.waste(in, w * 0.99) + 1e-12);
        assertThat(CheckpointIntervals.exactOptimumNumeric(in)).isCloseTo(w, within(w * 1e-4));
    }

    @Test
    void predictionWithHalfRecallUsesTheMtbfOfUnpredictedFailures() {
        // r = 0.5: unpredicted failures have MTBF 2M = 172800 s; the period is the exact optimum
        // there, ≈ sqrt(2·60·172800) − 60/3·(…) ≈ 4533 s (Daly at 2M = 4533.4).
        PredictorQuality pred = new PredictorQuality(0.5, 0.8, 600);
        CheckpointIntervals.PredictionPlan plan = CheckpointIntervals.withPrediction(DAY, pred, 30);
        assertThat(plan.trusted()).isTrue();
        assertThat(plan.period()).isCloseTo(CheckpointIntervals.daly(DAY.withMtbf(172_800)), within(1.0));
        // Waste = 1 − (1 − waste at 2M)·(1 − Cp·r/(p·M)).
        double expected = 1 - (1 - CheckpointIntervals.waste(DAY.withMtbf(172_800), plan.period())) * (1 - 30 * 0.5 / (0.8 * 86_400));
        assertThat(plan.waste()).isCloseTo(expected, within(1e-12));
        assertThat(plan.waste()).isLessThan(CheckpointIntervals.waste(DAY, CheckpointIntervals.exactOptimum(DAY)));
    }

    @Test
    void predictionsWithTooShortALeadTimeAreUseless() {
        CheckpointIntervals.PredictionPlan plan = CheckpointIntervals.withPrediction(DAY, new PredictorQuality(0.9, 0.9, 20), 30);
        assertThat(plan.trusted()).isFalse();
        assertThat(plan.reason()).contains("too late");
        assertThat(plan.period()).isEqualTo(CheckpointIntervals.exactOptimum(DAY));
    }

    @Test
    void moreRecallMeansLessWaste() {
        double previous = 1;
        for (double r : new double[] {0, 0.2, 0.4, 0.6, 0.8}) {
            double w = CheckpointIntervals.withPrediction(DAY, new PredictorQuality(r, 0.7, 600), 30).waste();
            assertThat(w).isLessThan(previous);
            previous = w;
        }
    }

    @Test
    void trustRuleHandExample() {
        // p = 0.5, Cp = 60 s, R = D = 0: trust when 0.5·risk > 60, i.e. risk > 120 s.
        TrustRule rule = new TrustRule(0.5, 60, 0, 0);
        assertThat(rule.threshold()).isEqualTo(120);
        assertThat(rule.trust(119)).isFalse();
        assertThat(rule.trust(121)).isTrue();
        assertThat(new TrustRule(0.5, 60, 100, 30).threshold()).isZero();
    }

    @Test
    void invalidInputsAreRejected() {
        assertThatThrownBy(() -> new IntervalInputs(0, 60, 0, 0)).isInstanceOf(HpcvirtException.class).hasMessageContaining("mtbf");
        assertThatThrownBy(() -> new PredictorQuality(1.5, 1, 0)).hasMessageContaining("recall");
        assertThatThrownBy(() -> new PredictorQuality(0.5, 0, 0)).hasMessageContaining("precision");
    }
}
