package org.hpcvirt.ft;

import java.util.Locale;
import org.hpcvirt.api.HpcvirtException;

/** The policy families. */
public enum PolicyKind {
    /** No fault tolerance: a failure restarts the job from its beginning. */
    NONE,
    /** Periodic checkpoints; restart from the last one after a failure. */
    REACTIVE,
    /** No periodic checkpoints; act on trusted predictions by migrating or pausing to storage. */
    PROACTIVE,
    /** Proactive for predicted failures, reactive (with a longer period) for the rest. */
    HYBRID;

    /** The name as written in files and flags. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @throws HpcvirtException INVALID_INPUT naming {@code what} for an unknown name */
    public static PolicyKind parse(String text, String what) {
        for (PolicyKind k : values()) {
            if (k.id().equals(text)) {
                return k;
            }
        }
        throw HpcvirtException.invalid(what + ": unknown policy '" + text + "' (use none, reactive, proactive or hybrid)");
    }
}
