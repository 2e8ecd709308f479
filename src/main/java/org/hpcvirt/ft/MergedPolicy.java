package org.hpcvirt.ft;

import java.time.Duration;

/**
 * The result of merging center, administrator and user settings: each value with where it came
 * from. Immutable.
 *
 * @param jobClass  the job class (value may be null: no class)
 * @param policy    the policy family
 * @param period    the checkpoint period (a rule is resolved and clamped at run time)
 * @param action    the proactive action
 * @param minPeriod lower bound on the period (value may be null: none)
 * @param maxPeriod upper bound on the period (value may be null: none)
 */
public record MergedPolicy(Sourced<String> jobClass, Sourced<PolicyKind> policy, Sourced<PeriodSpec> period,
        Sourced<ProactiveAction> action, Sourced<Duration> minPeriod, Sourced<Duration> maxPeriod) {

    /**
     * A value and its origin.
     *
     * @param value  the value (may be null when the origin says "none")
     * @param origin e.g. {@code user (profile ft.period)}, {@code admin (classes.long.maxCheckpointPeriod)},
     *               {@code center (maxCheckpointPeriod)}, {@code built-in default}
     */
    public record Sourced<T>(T value, String origin) {
    }

    /**
     * The period in seconds for a platform: the rule resolved with {@link PeriodSpec#resolve},
     * then clamped into [min, max]; the returned note says if clamping happened.
     */
    public Resolved resolvePeriod(IntervalInputs in, PredictorQuality pred, double proactiveCost) {
        double p = period.value().resolve(policy.value(), in, pred, proactiveCost);
        if (minPeriod.value() != null && p < org.hpcvirt.api.Durations.seconds(minPeriod.value())) {
            return new Resolved(org.hpcvirt.api.Durations.seconds(minPeriod.value()),
                    "raised to the minimum set by " + minPeriod.origin());
        }
        if (maxPeriod.value() != null && p > org.hpcvirt.api.Durations.seconds(maxPeriod.value())) {
            return new Resolved(org.hpcvirt.api.Durations.seconds(maxPeriod.value()),
                    "lowered to the maximum set by " + maxPeriod.origin());
        }
        return new Resolved(p, period.value().isFixed() ? "fixed" : period.value().rule() + " rule");
    }

    /**
     * A resolved period.
     *
     * @param seconds the period
     * @param note    how it was obtained
     */
    public record Resolved(double seconds, String note) {
    }
}
