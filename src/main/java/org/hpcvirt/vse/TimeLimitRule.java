package org.hpcvirt.vse;

import java.time.Duration;
import org.hpcvirt.api.Durations;
import org.hpcvirt.api.HpcvirtException;

/**
 * What the administrator's policy says a job of a partition gets shortly before its Slurm time
 * limit: {@code partitions.P.onTimeLimit} over {@code limits.onTimeLimit}, likewise the margin.
 * Immutable.
 *
 * @param action {@link #NONE} (Slurm ends the job) or {@link #CHECKPOINT_REQUEUE}
 * @param margin how long before the limit the checkpoint is taken
 * @param origin which rule decided ({@code admin (partitions.hvs.onTimeLimit)}, {@code built-in default})
 */
public record TimeLimitRule(String action, Duration margin, String origin) {
    /** Slurm ends the job at its limit. */
    public static final String NONE = "none";
    /** A checkpoint set of the job's VMs {@code margin} before the limit, then {@code scontrol requeue}. */
    public static final String CHECKPOINT_REQUEUE = "checkpoint-requeue";
    static final Duration DEFAULT_MARGIN = Duration.ofSeconds(60);

    /**
     * The rule of {@code partition} (null: the rules of every partition) in {@code policy}.
     *
     * @throws HpcvirtException INVALID_INPUT naming the file and field of a bad value
     */
    public static TimeLimitRule of(VseLoader.Loaded<VsePolicy> policy, String partition) {
        VsePolicy p = policy.value();
        VseSource src = policy.source();
        VsePolicy.Limits all = p.limits() == null ? VsePolicy.Limits.NONE : p.limits();
        VsePolicy.Limits part = partition == null ? null : p.partitions().get(partition);
        String partKey = "partitions." + partition;
        String action = NONE;
        String origin = "built-in default";
        if (all.onTimeLimit() != null) {
            action = check(all.onTimeLimit(), src, "limits.onTimeLimit");
            origin = "admin (limits.onTimeLimit)";
        }
        if (part != null && part.onTimeLimit() != null) {
            action = check(part.onTimeLimit(), src, partKey + ".onTimeLimit");
            origin = "admin (" + partKey + ".onTimeLimit)";
        }
        Duration margin = DEFAULT_MARGIN;
        if (all.timeLimitMargin() != null) {
            margin = margin(all.timeLimitMargin(), src, "limits.timeLimitMargin");
        }
        if (part != null && part.timeLimitMargin() != null) {
            margin = margin(part.timeLimitMargin(), src, partKey + ".timeLimitMargin");
        }
        return new TimeLimitRule(action, margin, origin);
    }

    private static String check(String v, VseSource src, String field) {
        if (!v.equals(NONE) && !v.equals(CHECKPOINT_REQUEUE)) {
            throw HpcvirtException.invalid(src.at(field) + " '" + v + "' is not one of none, checkpoint-requeue");
        }
        return v;
    }

    private static Duration margin(String v, VseSource src, String field) {
        Duration d;
        try {
            d = Durations.parse(v, "duration");
        } catch (HpcvirtException e) {
            throw HpcvirtException.invalid(src.at(field) + " '" + v + "' is not a duration (use e.g. 60s, 5m)");
        }
        if (d.isZero() || d.isNegative()) {
            throw HpcvirtException.invalid(src.at(field) + " must be positive");
        }
        return d;
    }
}
