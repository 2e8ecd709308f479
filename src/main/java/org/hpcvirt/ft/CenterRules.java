package org.hpcvirt.ft;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * The center's fault-tolerance bounds, as read from its YAML file (unknown fields rejected):
 * <pre>
 * allowedPolicies: [reactive, hybrid]   # default: all
 * allowedActions: [migrate, pause]      # default: all
 * minCheckpointPeriod: 10m              # default: none
 * maxCheckpointPeriod: 24h              # default: none
 * </pre>
 * Immutable; values are validated by {@link PolicyMerge}.
 */
public record CenterRules(List<String> allowedPolicies, List<String> allowedActions,
        String minCheckpointPeriod, String maxCheckpointPeriod) {
    @JsonCreator
    public CenterRules(@JsonProperty("allowedPolicies") List<String> allowedPolicies,
            @JsonProperty("allowedActions") List<String> allowedActions,
            @JsonProperty("minCheckpointPeriod") String minCheckpointPeriod,
            @JsonProperty("maxCheckpointPeriod") String maxCheckpointPeriod) {
        this.allowedPolicies = allowedPolicies == null ? null : List.copyOf(allowedPolicies);
        this.allowedActions = allowedActions == null ? null : List.copyOf(allowedActions);
        this.minCheckpointPeriod = minCheckpointPeriod;
        this.maxCheckpointPeriod = maxCheckpointPeriod;
    }

    /** No bounds at all (used when no center file is given). */
    public static final CenterRules NONE = new CenterRules(null, null, null, null);
}
