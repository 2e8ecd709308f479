package org.hpcvirt.ft;

import java.util.List;

/**
 * Acts on trusted predictions (migrate or pause to storage) and takes no periodic checkpoints; a
 * failure that was not avoided restarts the job from its last restart point (the start, or the
 * last pause to storage). A prediction is trusted by {@link TrustRule#trust} with the work at
 * risk at that moment, and ignored if it comes too late to complete the action. Not thread-safe.
 */
public final class ProactivePolicy implements FtPolicy {
    private final ProactiveAction action;
    private final TrustRule trust;
    private final WorkAtRisk risk = new WorkAtRisk();

    public ProactivePolicy(ProactiveAction action, TrustRule trust) {
        this.action = action;
        this.trust = trust;
    }

    @Override
    public PolicyKind kind() {
        return PolicyKind.PROACTIVE;
    }

    @Override
    public List<FtAction> on(FtEvent event) {
        risk.observe(event);
        if (event instanceof FtEvent.Prediction p) {
            return List.of(decide(p));
        } else if (event instanceof FtEvent.Failure) {
            return List.of(new FtAction.Restart());
        }
        return List.of();
    }

    /** The action for one prediction, or {@link FtAction.Nothing} with the reason. */
    FtAction decide(FtEvent.Prediction p) {
        if (!risk.running()) {
            return new FtAction.Nothing("job not running");
        }
        if (p.failureAt() - p.at() < trust.proactiveCost()) {
            return new FtAction.Nothing("prediction too late for the proactive action");
        }
        if (!trust.trust(risk.at(p.at()))) {
            return new FtAction.Nothing("p·(work at risk + R + D) ≤ Cp");
        }
        return action == ProactiveAction.MIGRATE ? new FtAction.Migrate(p.node()) : new FtAction.PauseToStorage(p.node());
    }
}
