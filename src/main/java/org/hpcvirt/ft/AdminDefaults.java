package org.hpcvirt.ft;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;
import java.util.TreeMap;

/**
 * The administrator's defaults, as read from its YAML file (unknown fields rejected):
 * <pre>
 * defaults:                 # for jobs without a class
 *   policy: reactive
 *   period: optimal
 * classes:
 *   long:                   # "class long: checkpoint at least every 2h"
 *     policy: hybrid
 *     maxCheckpointPeriod: 2h
 * </pre>
 * Immutable; values are validated by {@link PolicyMerge}.
 */
public record AdminDefaults(ClassRules defaults, Map<String, ClassRules> classes) {
    @JsonCreator
    public AdminDefaults(@JsonProperty("defaults") ClassRules defaults,
            @JsonProperty("classes") Map<String, ClassRules> classes) {
        this.defaults = defaults == null ? ClassRules.EMPTY : defaults;
        this.classes = classes == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(classes));
    }

    /** No administrator file. */
    public static final AdminDefaults NONE = new AdminDefaults(null, null);

    /**
     * Settings for one job class (or the defaults); every field may be absent.
     *
     * @param policy              default policy
     * @param period              default period ({@code young}, {@code daly}, {@code optimal} or a duration)
     * @param action              default proactive action ({@code migrate} or {@code pause})
     * @param minCheckpointPeriod lower bound, within the center's
     * @param maxCheckpointPeriod upper bound ("checkpoint at least every"), within the center's
     */
    public record ClassRules(String policy, String period, String action, String minCheckpointPeriod,
            String maxCheckpointPeriod) {
        static final ClassRules EMPTY = new ClassRules(null, null, null, null, null);

        @JsonCreator
        public ClassRules(@JsonProperty("policy") String policy, @JsonProperty("period") String period,
                @JsonProperty("action") String action,
                @JsonProperty("minCheckpointPeriod") String minCheckpointPeriod,
                @JsonProperty("maxCheckpointPeriod") String maxCheckpointPeriod) {
            this.policy = policy;
            this.period = period;
            this.action = action;
            this.minCheckpointPeriod = minCheckpointPeriod;
            this.maxCheckpointPeriod = maxCheckpointPeriod;
        }
    }
}
