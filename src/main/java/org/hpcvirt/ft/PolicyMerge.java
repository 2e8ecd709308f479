package org.hpcvirt.ft;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.hpcvirt.api.Durations;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.profile.VmProfile;

/**
 * Merges the three levels of fault-tolerance policy. The center sets bounds (allowed policies
 * and actions, min/max checkpoint period); the administrator sets defaults and tighter bounds per
 * job class, within the center's; the user's profile {@code ft:} section picks within both. A
 * value outside the bounds is an {@link HpcvirtException} INVALID_INPUT that names the level whose
 * value is wrong and the rule (level and key) it breaks. Stateless and thread-safe.
 */
public final class PolicyMerge {
    /** Keys the user may put in {@code ft:} besides policy, period and jobClass. */
    public static final List<String> USER_EXTRA_KEYS = List.of("action");

    private PolicyMerge() {
    }

    /**
     * @param center the center rules ({@link CenterRules#NONE} when absent)
     * @param admin  the administrator defaults ({@link AdminDefaults#NONE} when absent)
     * @param user   the profile's {@code ft:} section, or null when the profile has none
     */
    public static MergedPolicy merge(CenterRules center, AdminDefaults admin, VmProfile.FtSettings user) {
        VmProfile.FtSettings u = user == null ? new VmProfile.FtSettings(null, null, null, Map.of()) : user;
        for (String key : u.extra().keySet()) {
            if (!USER_EXTRA_KEYS.contains(key)) {
                throw HpcvirtException.invalid("user: unknown key ft." + key + " in profile (known: policy, period, jobClass, "
                        + String.join(", ", USER_EXTRA_KEYS) + ")");
            }
        }
        // Center level: parse its own values.
        List<PolicyKind> allowedPolicies = center.allowedPolicies() == null ? List.of(PolicyKind.values())
                : center.allowedPolicies().stream().map(p -> PolicyKind.parse(p, "center: allowedPolicies")).toList();
        List<ProactiveAction> allowedActions = center.allowedActions() == null ? List.of(ProactiveAction.values())
                : center.allowedActions().stream().map(a -> parseAction(a, "center: allowedActions")).toList();
        Duration centerMin = duration(center.minCheckpointPeriod(), "center: minCheckpointPeriod");
        Duration centerMax = duration(center.maxCheckpointPeriod(), "center: maxCheckpointPeriod");
        if (centerMin != null && centerMax != null && centerMin.compareTo(centerMax) > 0) {
            throw HpcvirtException.invalid("center: minCheckpointPeriod " + Durations.format(centerMin)
                    + " is above maxCheckpointPeriod " + Durations.format(centerMax));
        }

        // Administrator level: the class (if any) over the defaults, within the center bounds.
        String jobClass = u.jobClass();
        AdminDefaults.ClassRules cls = null;
        String classKey = null;
        if (jobClass != null) {
            cls = admin.classes().get(jobClass);
            if (cls == null) {
                throw HpcvirtException.invalid("user: job class '" + jobClass + "' is not defined by the administrator (admin classes: "
                        + (admin.classes().isEmpty() ? "none" : String.join(", ", admin.classes().keySet())) + ")");
            }
            classKey = "classes." + jobClass;
        }
        AdminDefaults.ClassRules defs = admin.defaults();

        MergedPolicy.Sourced<Duration> min = new MergedPolicy.Sourced<>(centerMin,
                centerMin == null ? "none" : "center (minCheckpointPeriod)");
        MergedPolicy.Sourced<Duration> max = new MergedPolicy.Sourced<>(centerMax,
                centerMax == null ? "none" : "center (maxCheckpointPeriod)");
        for (String[] level : levels(classKey)) {
            AdminDefaults.ClassRules r = level[0].equals("defaults") ? defs : cls;
            String at = "admin (" + level[0] + ".";
            Duration amin = duration(r.minCheckpointPeriod(), at + "minCheckpointPeriod)");
            Duration amax = duration(r.maxCheckpointPeriod(), at + "maxCheckpointPeriod)");
            if (amin != null) {
                checkWithin(amin, min, max, "admin: " + level[0] + ".minCheckpointPeriod");
                min = LayeredMerge.tighterMin(min, amin, at + "minCheckpointPeriod)");
            }
            if (amax != null) {
                checkWithin(amax, min, max, "admin: " + level[0] + ".maxCheckpointPeriod");
                max = LayeredMerge.tighterMax(max, amax, at + "maxCheckpointPeriod)");
            }
            if (min.value() != null && max.value() != null && min.value().compareTo(max.value()) > 0) {
                throw HpcvirtException.invalid("admin: " + level[0] + ": minimum period " + Durations.format(min.value())
                        + " (" + min.origin() + ") is above maximum " + Durations.format(max.value()) + " (" + max.origin() + ")");
            }
        }

        // Values: user over class over defaults over built-in; each checked against the bounds.
        MergedPolicy.Sourced<PolicyKind> policy = new MergedPolicy.Sourced<>(PolicyKind.REACTIVE, "built-in default");
        MergedPolicy.Sourced<PeriodSpec> period = new MergedPolicy.Sourced<>(PeriodSpec.OPTIMAL, "built-in default");
        MergedPolicy.Sourced<ProactiveAction> action = new MergedPolicy.Sourced<>(ProactiveAction.MIGRATE, "built-in default");
        for (String[] level : levels(classKey)) {
            AdminDefaults.ClassRules r = level[0].equals("defaults") ? defs : cls;
            String at = "admin (" + level[0] + ".";
            if (r.policy() != null) {
                policy = new MergedPolicy.Sourced<>(PolicyKind.parse(r.policy(), "admin: " + level[0] + ".policy"), at + "policy)");
            }
            if (r.period() != null) {
                period = new MergedPolicy.Sourced<>(PeriodSpec.parse(r.period(), "admin: " + level[0] + ".period"), at + "period)");
            }
            if (r.action() != null) {
                action = new MergedPolicy.Sourced<>(parseAction(r.action(), "admin: " + level[0] + ".action"), at + "action)");
            }
        }
        if (u.policy() != null) {
            policy = new MergedPolicy.Sourced<>(PolicyKind.parse(u.policy(), "user: ft.policy"), "user (profile ft.policy)");
        }
        if (u.period() != null) {
            period = new MergedPolicy.Sourced<>(PeriodSpec.parse(u.period(), "user: ft.period"), "user (profile ft.period)");
        }
        if (u.extra().containsKey("action")) {
            action = new MergedPolicy.Sourced<>(parseAction(u.extra().get("action"), "user: ft.action"), "user (profile ft.action)");
        }
        if (!allowedPolicies.contains(policy.value())) {
            throw HpcvirtException.invalid(level(policy.origin()) + ": policy '" + policy.value().id()
                    + "' is not allowed by center rule allowedPolicies " + ids(allowedPolicies));
        }
        if (!allowedActions.contains(action.value())) {
            throw HpcvirtException.invalid(level(action.origin()) + ": action '" + action.value().name().toLowerCase(Locale.ROOT)
                    + "' is not allowed by center rule allowedActions " + ids(allowedActions));
        }
        if (period.value().isFixed()) {
            checkWithin(period.value().fixed(), min, max, level(period.origin()) + ": period");
        }
        MergedPolicy.Sourced<String> cl = new MergedPolicy.Sourced<>(jobClass, jobClass == null ? "none" : "user (profile ft.jobClass)");
        return new MergedPolicy(cl, policy, period, action, min, max);
    }

    /** Parses {@code migrate} or {@code pause}. */
    public static ProactiveAction parseAction(String text, String what) {
        return switch (text == null ? "" : text) {
            case "migrate" -> ProactiveAction.MIGRATE;
            case "pause" -> ProactiveAction.PAUSE;
            default -> throw HpcvirtException.invalid(what + ": unknown action '" + text + "' (use migrate or pause)");
        };
    }

    private static String[][] levels(String classKey) {
        return classKey == null ? new String[][] {{"defaults"}} : new String[][] {{"defaults"}, {classKey}};
    }

    private static void checkWithin(Duration d, MergedPolicy.Sourced<Duration> min, MergedPolicy.Sourced<Duration> max, String what) {
        LayeredMerge.bound(new MergedPolicy.Sourced<>(d, what), min, max, LayeredMerge.Violation.REFUSE, what, Durations::format);
    }

    private static Duration duration(String text, String what) {
        if (text == null) {
            return null;
        }
        Duration d = Durations.parse(text, what);
        if (d.isZero()) {
            throw HpcvirtException.invalid(what + ": must be positive");
        }
        return d;
    }

    private static String level(String origin) {
        return origin.startsWith("user") ? "user" : origin.startsWith("admin") ? "admin" : "built-in default";
    }

    private static String ids(List<? extends Enum<?>> values) {
        return values.stream().map(v -> v.name().toLowerCase(Locale.ROOT)).toList().toString();
    }
}
