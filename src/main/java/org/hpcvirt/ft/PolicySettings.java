package org.hpcvirt.ft;

import org.hpcvirt.api.HpcvirtException;

/**
 * Everything a built-in policy needs, resolved to numbers. Immutable and validated.
 *
 * @param kind   the policy family
 * @param period work seconds between checkpoints; {@code +∞} means never (must be &gt; 0);
 *               ignored by {@link PolicyKind#PROACTIVE} and {@link PolicyKind#NONE}
 * @param action what to do about a trusted prediction
 * @param trust  when a prediction is worth acting on
 */
public record PolicySettings(PolicyKind kind, double period, ProactiveAction action, TrustRule trust) {
    public PolicySettings {
        if (kind == null || action == null || trust == null) {
            throw HpcvirtException.invalid("policy settings: kind, action and trust rule are required");
        }
        if (!(period > 0)) {
            throw HpcvirtException.invalid("checkpoint period must be positive (got " + period + "s)");
        }
    }
}
