package org.hpcvirt.bench.cli;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;
import org.hpcvirt.ft.PolicySettings;
import org.hpcvirt.sim.RunResult;
import org.hpcvirt.sim.Scenario;
import org.hpcvirt.sim.Simulator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code hpcvirt bench sim}: wall time of one simulated year on 2^19 nodes with the lazy platform
 * failure process, side by side with the naive per-node heap (baseline) on the same scenario.
 */
@Command(name = "sim", description = "Time the simulator (lazy platform failures) against a per-node-event baseline.")
public final class BenchSimCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--nodes-log2", defaultValue = "19", description = "platform of 2^N nodes (default ${DEFAULT-VALUE})")
    int log2;
    @Option(names = "--node-mtbf", defaultValue = "5y", description = "node MTBF (default ${DEFAULT-VALUE})")
    String nodeMtbf;
    @Option(names = "--horizon", defaultValue = "1y", description = "simulated time (default ${DEFAULT-VALUE})")
    String horizon;
    @Option(names = "--repeat", defaultValue = "3", description = "timed repetitions, best kept (default ${DEFAULT-VALUE})")
    int repeat;

    @Override
    public void run() {
        if (log2 < 1 || log2 > 24 || repeat < 1) {
            throw org.hpcvirt.api.HpcvirtException.invalid("--nodes-log2 must be in [1, 24] and --repeat ≥ 1");
        }
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "platform 2^%d = %d nodes, node MTBF %s, horizon %s, reactive policy, optimal period; best of %d%n",
                log2, 1 << log2, nodeMtbf, horizon, repeat);
        out.printf(Locale.ROOT, "%-13s %-24s %10s %10s %10s%n", "failures", "implementation", "wall ms", "events", "failures");
        for (String model : new String[] {"exponential", "weibull:0.7"}) {
            Scenario sc = Scenario.of(Map.of("nodes", String.valueOf(1 << log2), "nodeMtbf", nodeMtbf, "failures", model,
                    "horizon", horizon, "replications", "1"), "bench");
            PolicySettings ps = sc.policySettings();
            Simulator.runOnce(sc, ps, 0, false); // warm-up
            long[] lazy = time(sc, ps, false);
            long[] naive = time(sc, ps, true);
            out.printf(Locale.ROOT, "%-13s %-24s %10.1f %10d %10d%n", model, "hpcvirt (lazy platform)", lazy[0] / 1e6, lazy[1], lazy[2]);
            out.printf(Locale.ROOT, "%-13s %-24s %10.1f %10d %10d%n", model, "baseline (per-node heap)", naive[0] / 1e6, naive[1], naive[2]);
            out.printf(Locale.ROOT, "%-13s ratio baseline/hpcvirt: %.1f×%n", model, (double) naive[0] / lazy[0]);
            out.flush();
        }
    }

    private long[] time(Scenario sc, PolicySettings ps, boolean perNode) {
        long best = Long.MAX_VALUE;
        RunResult r = null;
        for (int i = 0; i < repeat; i++) {
            long t0 = System.nanoTime();
            r = Simulator.runOnce(sc, ps, 0, perNode);
            best = Math.min(best, System.nanoTime() - t0);
        }
        return new long[] {best, r.events(), r.failures()};
    }
}
