package org.hpcvirt.sim;

import java.util.random.RandomGenerator;

/**
 * N identical nodes with exponential lifetimes of mean M: one Poisson process of rate N/M whose
 * failures land on a uniformly chosen node. O(1) per failure and no per-node state.
 */
public final class ExponentialFailures implements FailureProcess {
    private final int nodes;
    private final double platformMtbf;
    private final RandomGenerator rng;
    private double now;

    /** @param nodeMtbf mean lifetime of one node in seconds */
    public ExponentialFailures(int nodes, double nodeMtbf, RandomGenerator rng) {
        this.nodes = nodes;
        this.platformMtbf = nodeMtbf / nodes;
        this.rng = rng;
    }

    @Override
    public PlatformFailure next() {
        now += platformMtbf * -Math.log(1 - rng.nextDouble());
        return new PlatformFailure(now, rng.nextInt(nodes));
    }
}
