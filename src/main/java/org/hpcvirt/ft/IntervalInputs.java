package org.hpcvirt.ft;

import org.hpcvirt.api.HpcvirtException;

/**
 * What the checkpoint-interval formulas need, all in seconds. Immutable and validated.
 *
 * @param mtbf           mean time between failures of the whole job (platform MTBF), &gt; 0
 * @param checkpointCost time C to take one checkpoint, &ge; 0
 * @param restartCost    time R to restart from a checkpoint, &ge; 0 (failures may strike during it)
 * @param downtime       time D before a restart can begin (replacement node), &ge; 0
 */
public record IntervalInputs(double mtbf, double checkpointCost, double restartCost, double downtime) {
    public IntervalInputs {
        requirePositive(mtbf, "mtbf");
        requireNonNegative(checkpointCost, "checkpoint cost");
        requireNonNegative(restartCost, "restart cost");
        requireNonNegative(downtime, "downtime");
    }

    /** Failure rate 1/M. */
    public double rate() {
        return 1.0 / mtbf;
    }

    /** The same costs with another MTBF (used for the unpredicted share of failures). */
    public IntervalInputs withMtbf(double newMtbf) {
        return new IntervalInputs(newMtbf, checkpointCost, restartCost, downtime);
    }

    static void requirePositive(double v, String what) {
        if (!(v > 0) || Double.isInfinite(v)) {
            throw HpcvirtException.invalid(what + " must be a positive finite value (got " + v + ")");
        }
    }

    static void requireNonNegative(double v, String what) {
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw HpcvirtException.invalid(what + " must be zero or a positive finite value (got " + v + ")");
        }
    }
}
