package org.hpcvirt.sim;

import java.util.PriorityQueue;
import java.util.random.RandomGenerator;

/**
 * N nodes, all new at time 0, with Weibull(shape k, scale λ) lifetimes and replacement on
 * failure (renewal). Superposed lazily: the nodes that never failed form one group whose next
 * failure, given that m of them survived to t, is {@code λ((t/λ)^k + E/m)^{1/k}} with E ~ Exp(1);
 * only nodes that failed at least once are kept, in a heap. Memory and time grow with failures,
 * not with N.
 */
public final class WeibullFailures implements FailureProcess {
    private final double shape;
    private final double scale;
    private final RandomGenerator rng;
    private final PriorityQueue<PlatformFailure> renewed =
            new PriorityQueue<>((a, b) -> Double.compare(a.at(), b.at()));
    private int fresh;
    private final int nodes;
    private double freshNext;

    public WeibullFailures(int nodes, double shape, double scale, RandomGenerator rng) {
        this.nodes = nodes;
        this.shape = shape;
        this.scale = scale;
        this.rng = rng;
        this.fresh = nodes;
        this.freshNext = nextFresh(0);
    }

    private double nextFresh(double t) {
        if (fresh == 0) {
            return Double.POSITIVE_INFINITY;
        }
        double e = -Math.log(1 - rng.nextDouble());
        return scale * Math.pow(Math.pow(t / scale, shape) + e / fresh, 1 / shape);
    }

    private double lifetime() {
        return scale * Math.pow(-Math.log(1 - rng.nextDouble()), 1 / shape);
    }

    @Override
    public PlatformFailure next() {
        PlatformFailure f;
        if (!renewed.isEmpty() && renewed.peek().at() <= freshNext) {
            f = renewed.poll();
        } else {
            f = new PlatformFailure(freshNext, nodes - fresh);
            fresh--;
            freshNext = nextFresh(f.at());
        }
        renewed.add(new PlatformFailure(f.at() + lifetime(), f.node()));
        return f;
    }
}
