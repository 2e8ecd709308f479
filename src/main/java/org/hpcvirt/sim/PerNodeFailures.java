package org.hpcvirt.sim;

import java.util.PriorityQueue;
import java.util.function.ToDoubleFunction;
import java.util.random.RandomGenerator;

/**
 * The naive way: one pending failure per node in a heap of N entries. Exact for any lifetime
 * distribution but O(N) memory and set-up; kept as the baseline for {@code hpcvirt bench sim} and
 * as an independent check of the lazy processes.
 */
public final class PerNodeFailures implements FailureProcess {
    private final PriorityQueue<PlatformFailure> heap;
    private final ToDoubleFunction<RandomGenerator> lifetime;
    private final RandomGenerator rng;

    /** @param lifetime draws one node lifetime in seconds */
    public PerNodeFailures(int nodes, ToDoubleFunction<RandomGenerator> lifetime, RandomGenerator rng) {
        this.lifetime = lifetime;
        this.rng = rng;
        java.util.List<PlatformFailure> all = new java.util.ArrayList<>(nodes);
        for (int i = 0; i < nodes; i++) {
            all.add(new PlatformFailure(lifetime.applyAsDouble(rng), i));
        }
        this.heap = new PriorityQueue<>(all.size() + 1, (a, b) -> Double.compare(a.at(), b.at()));
        heap.addAll(all);
    }

    @Override
    public PlatformFailure next() {
        PlatformFailure f = heap.poll();
        heap.add(new PlatformFailure(f.at() + lifetime.applyAsDouble(rng), f.node()));
        return f;
    }
}
