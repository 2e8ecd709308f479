package org.hpcvirt.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.hpcvirt.ft.CheckpointIntervals;
import org.junit.jupiter.api.Test;

/** The simulator's predictor and hybrid policy against the prediction model's numbers and trends. */
class PredictionModelTest {
    static Summary run(Map<String, String> overrides) {
        Map<String, String> s = new HashMap<>(Map.of("nodes", "1024", "nodeMtbf", "1024h", "checkpointCost", "5m",
                "restartCost", "2m", "downtime", "1m", "migrationCost", "1m", "policy", "hybrid", "precision", "0.8",
                "leadTime", "10m", "horizon", "180d"));
        s.put("replications", "4");
        s.putAll(overrides);
        return Simulator.run(Scenario.of(s, "test"));
    }

    @Test
    void predictorDeliversRecallAndPrecision() {
        Summary s = run(Map.of("recall", "0.6"));
        double predictedShare = s.avoided().mean() / (s.avoided().mean() + s.failures().mean());
        assertThat(predictedShare).isBetween(0.55, 0.65);
        long predictions = s.runs().stream().mapToLong(RunResult::predictions).sum();
        long falseAlarms = s.runs().stream().mapToLong(RunResult::falseAlarms).sum();
        assertThat(1 - (double) falseAlarms / predictions).isBetween(0.77, 0.83);
    }

    @Test
    void hybridWasteAgreesWithThePredictionModel() {
        // p·(R + D) = 0.8·180 s > Cp = 60 s: every prediction is trusted, as the model assumes.
        for (String r : new String[] {"0.3", "0.7"}) {
            Summary s = run(Map.of("recall", r));
            double model = CheckpointIntervals.withPrediction(s.scenario().intervalInputs(), s.scenario().predictor(),
                    s.scenario().proactiveCost()).waste();
            assertThat(s.period()).isGreaterThan(CheckpointIntervals.exactOptimum(s.scenario().intervalInputs()));
            assertThat(Math.abs(s.waste().mean() - model) / model).as("recall " + r).isLessThan(0.05);
        }
    }

    @Test
    void moreRecallMeansLessWaste() {
        double w0 = run(Map.of("recall", "0")).waste().mean();
        double w4 = run(Map.of("recall", "0.4")).waste().mean();
        double w8 = run(Map.of("recall", "0.8")).waste().mean();
        assertThat(w4).isLessThan(w0);
        assertThat(w8).isLessThan(w4);
    }

    @Test
    void lowerPrecisionMeansMoreFalseAlarmsAndMoreWaste() {
        Summary good = run(Map.of("recall", "0.6", "precision", "0.9", "period", "30m"));
        Summary poor = run(Map.of("recall", "0.6", "precision", "0.3", "period", "30m"));
        assertThat(poor.falseAlarms().mean()).isGreaterThan(5 * good.falseAlarms().mean());
        assertThat(poor.waste().mean()).isGreaterThan(good.waste().mean());
    }

    @Test
    void leadTimeShorterThanTheMigrationAvoidsNothing() {
        Summary s = run(Map.of("recall", "0.8", "leadTime", "30s"));
        assertThat(s.avoided().mean()).isZero();
        assertThat(s.migrations().mean()).isZero();
    }

    @Test
    void proactiveAloneLosesEverythingOnAnUnpredictedFailureOfALongJob() {
        Summary none = run(Map.of("policy", "none"));
        Summary proactive = run(Map.of("policy", "proactive", "recall", "0.9"));
        Summary hybrid = run(Map.of("recall", "0.9"));
        assertThat(proactive.waste().mean()).isLessThan(none.waste().mean());
        assertThat(hybrid.waste().mean()).isLessThan(proactive.waste().mean());
        assertThat(proactive.checkpoints().mean()).isZero();
    }
}
