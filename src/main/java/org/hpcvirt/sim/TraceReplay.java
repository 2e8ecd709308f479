package org.hpcvirt.sim;

/**
 * Replays the failures of a {@link FailureTrace}, starting at {@code offset} seconds into it and
 * wrapping around (cycle after cycle) so any horizon can be covered.
 */
public final class TraceReplay implements FailureProcess {
    private final FailureTrace trace;
    private final double span;
    private int index;
    private double cycleStart;

    /** @param offset seconds into the trace where the simulation starts, in [0, span) */
    public TraceReplay(FailureTrace trace, double offset) {
        this.trace = trace;
        this.span = trace.span();
        this.cycleStart = -offset;
        while (index < trace.size() && trace.start(index) < offset) {
            index++;
        }
    }

    @Override
    public PlatformFailure next() {
        if (index == trace.size()) {
            index = 0;
            cycleStart += span;
        }
        PlatformFailure f = new PlatformFailure(cycleStart + trace.start(index), trace.node(index));
        index++;
        return f;
    }
}
