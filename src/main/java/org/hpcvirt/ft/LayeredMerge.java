package org.hpcvirt.ft;

import java.util.function.Function;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.ft.MergedPolicy.Sourced;

/**
 * The one mechanism behind every layered merge of settings (centre, administrator, partition, user):
 * a value is decided by the highest layer that sets it, bounds are tightened layer by layer, and a
 * value outside its bounds is either refused naming the rule, or clamped to the bound, saying so in
 * its origin. Used by {@link PolicyMerge} (fault-tolerance policies) and by
 * {@code org.hpcvirt.vse.VseMerge} (virtual system environments). Stateless and thread-safe.
 */
public final class LayeredMerge {
    private LayeredMerge() {
    }

    /** What to do with a value outside a bound. */
    public enum Violation {
        /** refuse the whole merge with an INVALID_INPUT naming the rule */
        REFUSE,
        /** replace the value with the bound; its origin then names both */
        CLAMP
    }

    /** {@code value} from {@code origin} if it is set, else what the layers below decided. */
    public static <T> Sourced<T> over(Sourced<T> below, T value, String origin) {
        return value == null ? below : new Sourced<>(value, origin);
    }

    /** The tighter of two lower bounds (the larger one); null values mean "no bound". */
    public static <T extends Comparable<T>> Sourced<T> tighterMin(Sourced<T> current, T value, String origin) {
        return value != null && (current.value() == null || value.compareTo(current.value()) > 0) ? new Sourced<>(value, origin) : current;
    }

    /** The tighter of two upper bounds (the smaller one); null values mean "no bound". */
    public static <T extends Comparable<T>> Sourced<T> tighterMax(Sourced<T> current, T value, String origin) {
        return value != null && (current.value() == null || value.compareTo(current.value()) < 0) ? new Sourced<>(value, origin) : current;
    }

    /**
     * Checks {@code value} against {@code min} and {@code max} (either's value may be null: no bound).
     *
     * @param what   names the value in a refusal, e.g. {@code user: ft.period}
     * @param format how values are written in messages
     * @return the value, or under {@link Violation#CLAMP} the bound it was clamped to, its origin
     *         then {@code "<bound's origin>, clamped from <value> (<value's origin>)"}
     * @throws HpcvirtException INVALID_INPUT under {@link Violation#REFUSE} when the value is out of bounds
     */
    public static <T extends Comparable<T>> Sourced<T> bound(Sourced<T> value, Sourced<T> min, Sourced<T> max, Violation onViolation,
            String what, Function<T, String> format) {
        if (value.value() == null) {
            return value;
        }
        if (min.value() != null && value.value().compareTo(min.value()) < 0) {
            if (onViolation == Violation.CLAMP) {
                return new Sourced<>(min.value(), min.origin() + ", raised from " + format.apply(value.value()) + " (" + value.origin() + ")");
            }
            throw HpcvirtException.invalid(what + " " + format.apply(value.value()) + " is below the minimum "
                    + format.apply(min.value()) + " set by " + min.origin());
        }
        if (max.value() != null && value.value().compareTo(max.value()) > 0) {
            if (onViolation == Violation.CLAMP) {
                return new Sourced<>(max.value(), max.origin() + ", lowered from " + format.apply(value.value()) + " (" + value.origin() + ")");
            }
            throw HpcvirtException.invalid(what + " " + format.apply(value.value()) + " is above the maximum "
                    + format.apply(max.value()) + " set by " + max.origin());
        }
        return value;
    }
}
