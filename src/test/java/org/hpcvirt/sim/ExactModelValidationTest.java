package org.hpcvirt.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.hpcvirt.ft.CheckpointIntervals;
import org.junit.jupiter.api.Test;

/** The simulator against the exact exponential model (reactive policy). */
class ExactModelValidationTest {
    static Scenario scenario(Map<String, String> overrides) {
        Map<String, String> s = new HashMap<>(Map.of("nodes", "1024", "nodeMtbf", "1024h", "checkpointCost", "5m",
                "restartCost", "5m", "downtime", "1m", "horizon", "1y", "replications", "4", "seed", "7"));
        s.putAll(overrides);
        return Scenario.of(s, "test");
    }

    @Test
    void reactiveWasteAgreesWithTheExactModelWithinOnePercent() {
        for (String period : new String[] {"optimal", "20m", "2h"}) {
            Scenario sc = scenario(Map.of("period", period));
            Summary sum = Simulator.run(sc);
            double model = 1 - CheckpointIntervals.waste(sc.intervalInputs(), sum.period());
            assertThat(model).isBetween(sum.efficiency().low(), sum.efficiency().high());
            if (!period.equals("2h")) { // at 2h a run holds few completed periods: only the interval is tight enough
                assertThat(Math.abs(sum.efficiency().mean() - model) / model).isLessThan(0.01);
            }
        }
    }
}
