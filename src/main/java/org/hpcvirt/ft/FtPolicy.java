package org.hpcvirt.ft;

import java.util.List;

/**
 * A fault-tolerance policy for one job: it sees timestamped events and answers with actions.
 * The same instances are driven by the simulator and (later) by the daemon's live executor, so
 * a policy must not read any clock or keep static state; all it knows of time is
 * {@link FtEvent#at()}.
 *
 * <p>Threading: one instance per job, called by one thread at a time (not thread-safe). The
 * driver delivers {@link FtEvent.Started} first, then events in non-decreasing time order.
 */
public interface FtPolicy {
    /**
     * Reacts to one event.
     *
     * @return the actions to carry out in order; never null, possibly empty
     */
    List<FtAction> on(FtEvent event);

    /** The family this policy belongs to. */
    PolicyKind kind();

    /** A new built-in policy instance for {@code settings}. */
    static FtPolicy create(PolicySettings settings) {
        return switch (settings.kind()) {
            case NONE -> new ReactivePolicy(Double.POSITIVE_INFINITY, PolicyKind.NONE);
            case REACTIVE -> new ReactivePolicy(settings.period(), PolicyKind.REACTIVE);
            case PROACTIVE -> new ProactivePolicy(settings.action(), settings.trust());
            case HYBRID -> new HybridPolicy(settings.period(), settings.action(), settings.trust());
        };
    }
}
