package org.hpcvirt.ft;

/**
 * When a failure prediction is worth acting on. Acting costs {@code proactiveCost} whether the
 * prediction is true or not; ignoring it costs, with probability {@code precision}, the work at
 * risk (done since the last checkpoint) plus the downtime and the restart. Trust when
 * {@code precision · (workAtRisk + downtime + restartCost) > proactiveCost}. Immutable.
 *
 * @param precision     fraction of predictions that are true, in (0, 1]
 * @param proactiveCost seconds one proactive action (migration, pause to storage) takes, &ge; 0
 * @param restartCost   restart time R in seconds, &ge; 0
 * @param downtime      downtime D in seconds, &ge; 0
 */
public record TrustRule(double precision, double proactiveCost, double restartCost, double downtime) {
    public TrustRule {
        new PredictorQuality(0, precision, 0); // validates precision
        IntervalInputs.requireNonNegative(proactiveCost, "proactive cost");
        IntervalInputs.requireNonNegative(restartCost, "restart cost");
        IntervalInputs.requireNonNegative(downtime, "downtime");
    }

    /** Whether to act on a prediction when {@code workAtRisk} seconds of work would be lost by a failure. */
    public boolean trust(double workAtRisk) {
        return precision * (workAtRisk + downtime + restartCost) > proactiveCost;
    }

    /** The smallest work at risk (seconds) for which a prediction is trusted (may be 0). */
    public double threshold() {
        return Math.max(0, proactiveCost / precision - downtime - restartCost);
    }
}
