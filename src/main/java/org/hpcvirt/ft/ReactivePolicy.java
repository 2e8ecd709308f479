package org.hpcvirt.ft;

import java.util.List;

/**
 * Periodic checkpointing: a checkpoint after every {@code period} seconds of work, a restart from
 * the last checkpoint after each failure; predictions are ignored. With an infinite period it is
 * the {@link PolicyKind#NONE} baseline (restart from the beginning). Not thread-safe.
 */
public final class ReactivePolicy implements FtPolicy {
    private final double period;
    private final PolicyKind kind;
    private double nextCheckpoint = Double.POSITIVE_INFINITY;
    private boolean running;

    /** @param period work seconds between checkpoints, &gt; 0, may be infinite */
    public ReactivePolicy(double period, PolicyKind kind) {
        if (!(period > 0)) {
            throw new IllegalArgumentException("period must be > 0");
        }
        this.period = period;
        this.kind = kind;
    }

    @Override
    public PolicyKind kind() {
        return kind;
    }

    @Override
    public List<FtAction> on(FtEvent event) {
        if (event instanceof FtEvent.Started || event instanceof FtEvent.RestartDone
                || event instanceof FtEvent.CheckpointDone) {
            running = true;
            return schedule(event.at() + period);
        } else if (event instanceof FtEvent.Tick t) {
            if (!running || t.at() < nextCheckpoint) {
                return List.of(new FtAction.Nothing("stale tick"));
            }
            running = false;
            nextCheckpoint = Double.POSITIVE_INFINITY;
            return List.of(new FtAction.Checkpoint());
        } else if (event instanceof FtEvent.ProactiveDone p) {
            if (!running) {
                return List.of();
            }
            // A pause to storage is a restart point; a migration produced no work, so it pushes
            // the next checkpoint back by its length.
            return schedule(p.action() == ProactiveAction.PAUSE ? p.at() + period : nextCheckpoint + p.duration());
        } else if (event instanceof FtEvent.Failure) {
            running = false;
            nextCheckpoint = Double.POSITIVE_INFINITY;
            return List.of(new FtAction.Restart());
        }
        return List.of(new FtAction.Nothing(kind.id() + " policy ignores predictions"));
    }

    private List<FtAction> schedule(double at) {
        nextCheckpoint = at;
        return Double.isInfinite(at) ? List.of() : List.of(new FtAction.ScheduleTick(at));
    }
}
