package org.hpcvirt.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The lazy platform processes against the naive per-node heap and against theory. */
class FailureProcessTest {
    private static double count(FailureProcess p, double horizon) {
        int n = 0;
        double last = 0;
        PlatformFailure f;
        while ((f = p.next()).at() < horizon) {
            assertThat(f.at()).isGreaterThanOrEqualTo(last);
            last = f.at();
            n++;
        }
        return n;
    }

    @Test
    void exponentialPlatformHasRateNOverM() {
        double horizon = 1e7;
        double n = count(new ExponentialFailures(1 << 19, 5 * 365 * 86400.0, new SplittableRandom(1)), horizon);
        double expected = horizon * (1 << 19) / (5 * 365 * 86400.0);
        assertThat(Math.abs(n - expected)).isLessThan(4 * Math.sqrt(expected));
    }

    @Test
    void lazyWeibullMatchesThePerNodeHeap() {
        int nodes = 4096;
        double shape = 0.7;
        double scale = DistributionFit.Weibull.withMean(shape, 365 * 86400.0).scale();
        double horizon = 2 * 365 * 86400.0;
        double lazy = 0;
        double naive = 0;
        // Early failures (infant mortality for k < 1) are where a wrong superposition would show.
        double lazyEarly = 0;
        double naiveEarly = 0;
        for (int rep = 0; rep < 5; rep++) {
            lazy += count(new WeibullFailures(nodes, shape, scale, new SplittableRandom(rep)), horizon);
            naive += count(new PerNodeFailures(nodes, r -> scale * Math.pow(-Math.log(1 - r.nextDouble()), 1 / shape),
                    new SplittableRandom(100 + rep)), horizon);
            lazyEarly += count(new WeibullFailures(nodes, shape, scale, new SplittableRandom(200 + rep)), 86400);
            naiveEarly += count(new PerNodeFailures(nodes, r -> scale * Math.pow(-Math.log(1 - r.nextDouble()), 1 / shape),
                    new SplittableRandom(300 + rep)), 86400);
        }
        assertThat(Math.abs(lazy - naive) / naive).isLessThan(0.02);
        assertThat(Math.abs(lazyEarly - naiveEarly) / naiveEarly).isLessThan(0.1);
        // Theory for the first day: N·(1 − exp(−(t/λ)^k)) expected first failures (renewals negligible).
        double firstDay = nodes * -Math.expm1(-Math.pow(86400 / scale, shape));
        assertThat(lazyEarly / 5).isBetween(0.9 * firstDay, 1.2 * firstDay);
    }

    @Test
    void lazyAndPerNodeSimulationsAgree() {
        Scenario sc = Scenario.of(Map.of("nodes", "65536", "nodeMtbf", "5y", "horizon", "90d", "replications", "1"), "test");
        double lazy = 0;
        double naive = 0;
        for (int i = 0; i < 4; i++) {
            lazy += Simulator.runOnce(sc, sc.policySettings(), i, false).efficiency();
            naive += Simulator.runOnce(sc, sc.policySettings(), i, true).efficiency();
        }
        assertThat(Math.abs(lazy - naive) / naive).isLessThan(0.01);
    }
}
