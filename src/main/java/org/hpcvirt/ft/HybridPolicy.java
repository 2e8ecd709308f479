package org.hpcvirt.ft;

import java.util.ArrayList;
import java.util.List;

/**
 * Proactive for predicted failures, reactive for the rest: predictions go to a
 * {@link ProactivePolicy}, everything else to a {@link ReactivePolicy} (whose period is normally
 * longer than without prediction); both observe every event. Ticks that fall inside a proactive
 * action are held back: the reactive schedule moves by the action's length when it ends.
 * Not thread-safe.
 */
public final class HybridPolicy implements FtPolicy {
    private final ReactivePolicy reactive;
    private final ProactivePolicy proactive;
    private int proactiveInFlight;

    public HybridPolicy(double period, ProactiveAction action, TrustRule trust) {
        this.reactive = new ReactivePolicy(period, PolicyKind.HYBRID);
        this.proactive = new ProactivePolicy(action, trust);
    }

    @Override
    public PolicyKind kind() {
        return PolicyKind.HYBRID;
    }

    @Override
    public List<FtAction> on(FtEvent event) {
        List<FtAction> fromProactive = proactive.on(event);
        if (event instanceof FtEvent.Prediction) {
            List<FtAction> out = new ArrayList<>(fromProactive);
            for (FtAction a : out) {
                if (a instanceof FtAction.Migrate || a instanceof FtAction.PauseToStorage) {
                    proactiveInFlight++;
                }
            }
            return out;
        }
        if (event instanceof FtEvent.ProactiveDone) {
            proactiveInFlight = Math.max(0, proactiveInFlight - 1);
        } else if (event instanceof FtEvent.Failure || event instanceof FtEvent.RestartDone) {
            proactiveInFlight = 0;
        } else if (event instanceof FtEvent.Tick && proactiveInFlight > 0) {
            return List.of(new FtAction.Nothing("proactive action in progress"));
        }
        return reactive.on(event);
    }
}
