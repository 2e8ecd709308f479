package org.hpcvirt.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Parsing, fitting and replaying the LANL failure trace kept in the repository's {@code data/}. */
class TraceTest {
    static final String NAME = "lanl-failure-data-1996-2005.csv.xz";

    /**
     * The trace in {@code data/} of the repository: the project root comes from {@code hpcvirt.repo}
     * when set, else the working directory (Surefire runs in the project's basedir); fails clearly if absent.
     */
    static Path trace() {
        Path p = Path.of(System.getProperty("hpcvirt.repo", "."), "data", NAME).toAbsolutePath().normalize();
        if (!Files.isReadable(p)) {
            throw new AssertionError("test data missing: " + p + " (the LANL failure trace, see data/README.md)");
        }
        return p;
    }

    @Test
    void system20IsParsedSortedAndComplete() {
        FailureTrace t = FailureTrace.load(trace(), "20");
        assertThat(t.size()).isEqualTo(2478);
        assertThat(t.nodes()).isEqualTo(512);
        for (int i = 1; i < t.size(); i++) {
            assertThat(t.start(i)).isGreaterThanOrEqualTo(t.start(i - 1));
        }
        // 12/20/2001 8:00 to 9/9/2005 6:28 (counted by hand: 1358 days 22.5 h).
        assertThat(t.start(t.size() - 1)).isEqualTo((1358 * 24 + 22.4667) * 3600, within(60.0));
    }

    @Test
    void quotedFieldsWithCommasAreOneColumn() {
        assertThat(FailureTrace.splitCsv("2,a,\"MPI, PVM\",No")).containsExactly("2", "a", "MPI, PVM", "No");
    }

    @Test
    void weibullFitOfSystem20HasDecreasingHazardAndTheObservedMean() {
        FailureTrace t = FailureTrace.load(trace(), "20");
        DistributionFit.Weibull w = DistributionFit.weibull(t.interArrivals());
        // Schroeder & Gibson (DSN 2006) report shapes 0.7–0.8 for these systems.
        assertThat(w.shape()).isBetween(0.5, 0.9);
        double observed = java.util.Arrays.stream(t.interArrivals()).average().orElseThrow();
        assertThat(w.mean() / observed).isBetween(0.85, 1.15);
    }

    @Test
    void lognormalFitIsTheMeanAndSpreadOfTheLogs() {
        double[] d = FailureTrace.load(trace(), "20").downtimes();
        DistributionFit.LogNormal ln = DistributionFit.logNormal(d);
        double mean = 0;
        for (double v : d) {
            mean += Math.log(v);
        }
        mean /= d.length;
        double var = 0;
        for (double v : d) {
            var += (Math.log(v) - mean) * (Math.log(v) - mean);
        }
        assertThat(ln.mu()).isCloseTo(mean, within(1e-9));
        assertThat(ln.sigma()).isCloseTo(Math.sqrt(var / d.length), within(1e-9));
    }

    @Test
    void weibullFitRecoversKnownParameters() {
        SplittableRandom r = new SplittableRandom(3);
        double[] x = new double[20_000];
        for (int i = 0; i < x.length; i++) {
            x[i] = 5000 * Math.pow(-Math.log(1 - r.nextDouble()), 1 / 0.7);
        }
        DistributionFit.Weibull w = DistributionFit.weibull(x);
        assertThat(w.shape()).isCloseTo(0.7, within(0.02));
        assertThat(w.scale()).isCloseTo(5000, within(150.0));
    }

    @Test
    void replayWrapsAroundAndKeepsTheTraceRate() {
        FailureTrace t = FailureTrace.load(trace(), "20");
        TraceReplay replay = new TraceReplay(t, t.span() / 3);
        double last = -1;
        int n = 0;
        PlatformFailure f;
        while ((f = replay.next()).at() < 2 * t.span()) {
            assertThat(f.at()).isGreaterThanOrEqualTo(last);
            last = f.at();
            n++;
        }
        assertThat(n).isEqualTo(2 * t.size());
    }

    @Test
    void simulatingTheTraceCountsItsFailures() {
        Path p = trace();
        // A short fixed downtime, so that few failures fall into downtime (those do not strike the job).
        Scenario sc = Scenario.of(Map.of("failures", "trace:" + p + ":20", "downtime", "1m", "horizon", "1y",
                "replications", "4"), "test");
        assertThat(sc.nodes()).isEqualTo(512);
        Summary s = Simulator.run(sc);
        double perYear = 365 * 86400.0 / sc.platformMtbf();
        // Each run starts at a random offset of a non-stationary trace: the count varies around the mean rate.
        assertThat(s.failures().mean()).isBetween(0.6 * perYear, 1.4 * perYear);
        Scenario withRepairs = Scenario.of(Map.of("failures", "trace:" + p + ":20", "downtime", "trace"), "test");
        assertThat(withRepairs.downtime()).isInstanceOf(RepairModel.LogNormal.class);
        assertThat(withRepairs.downtime().mean()).isGreaterThan(60);
        assertThat(s.efficiency().mean()).isBetween(0.0, 1.0);
    }

    @Test
    void unknownSystemNamesTheKnownOnes() {
        assertThatThrownBy(() -> FailureTrace.load(trace(), "99")).hasMessageContaining("no failures for system '99'")
                .hasMessageContaining("20");
    }
}
