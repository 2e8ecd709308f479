package org.hpcvirt.sim;

import java.util.List;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;
import java.util.stream.IntStream;
import org.hpcvirt.ft.FtPolicy;
import org.hpcvirt.ft.PolicySettings;

/**
 * Runs the replications of a scenario, each with its own random stream derived from the seed
 * (so results do not depend on thread scheduling), in parallel. Stateless and thread-safe.
 */
public final class Simulator {
    private Simulator() {
    }

    /** Runs all replications and summarises them. */
    public static Summary run(Scenario sc) {
        PolicySettings settings = sc.policySettings();
        List<RunResult> runs = IntStream.range(0, sc.replications()).parallel()
                .mapToObj(i -> runOnce(sc, settings, i, false)).toList();
        return summarise(sc, settings.period(), runs);
    }

    /**
     * One replication.
     *
     * @param perNode use the naive per-node failure heap (baseline) instead of the lazy process
     */
    public static RunResult runOnce(Scenario sc, PolicySettings settings, int replication, boolean perNode) {
        SplittableRandom rng = new SplittableRandom(sc.seed() * 0x9E3779B97F4A7C15L + replication);
        SplittableRandom failureRng = rng.split();
        FailureProcess failures = perNode ? perNode(sc, failureRng) : sc.failures().start(sc.nodes(), sc.nodeMtbf(), failureRng);
        return new Simulation(sc, FtPolicy.create(settings), failures, rng).run();
    }

    private static FailureProcess perNode(Scenario sc, SplittableRandom rng) {
        ToDoubleFunction<java.util.random.RandomGenerator> lifetime;
        if (sc.failures() instanceof FailureModel.Weibull w) {
            double scale = DistributionFit.Weibull.withMean(w.shape(), sc.nodeMtbf()).scale();
            lifetime = r -> scale * Math.pow(-Math.log(1 - r.nextDouble()), 1 / w.shape());
        } else if (sc.failures() instanceof FailureModel.Exponential) {
            lifetime = r -> -sc.nodeMtbf() * Math.log(1 - r.nextDouble());
        } else {
            throw org.hpcvirt.api.HpcvirtException.invalid("per-node baseline needs exponential or Weibull failures");
        }
        return new PerNodeFailures(sc.nodes(), lifetime, rng);
    }

    static Summary summarise(Scenario sc, double period, List<RunResult> runs) {
        return new Summary(sc, period, est(runs, RunResult::waste), est(runs, RunResult::efficiency),
                est(runs, r -> r.checkpoints()), est(runs, r -> r.failures()), est(runs, r -> r.avoided()),
                est(runs, r -> r.migrations()), est(runs, r -> r.falseAlarms()), est(runs, RunResult::elapsed),
                (int) runs.stream().filter(RunResult::finished).count(), runs);
    }

    private static Estimate est(List<RunResult> runs, ToDoubleFunction<RunResult> f) {
        return Estimate.of(runs.stream().mapToDouble(f).toArray());
    }
}
