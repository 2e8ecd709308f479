package org.hpcvirt.ft;

/**
 * Something a driver tells a policy. Every event carries {@code at}: seconds on the driver's
 * clock (simulated seconds in the simulator, seconds of a monotonic clock in a live executor);
 * policies only compare and subtract these values. Events of one job are delivered in
 * non-decreasing {@code at} order by one thread.
 */
public sealed interface FtEvent {
    /** Driver clock time of the event, in seconds. */
    double at();

    /** The job started running with no checkpoint yet. */
    record Started(double at) implements FtEvent {
    }

    /** A wake-up the policy asked for with {@link FtAction.ScheduleTick}; may be stale. */
    record Tick(double at) implements FtEvent {
    }

    /**
     * A predictor announced that {@code node} will fail at {@code failureAt} (&ge; at). The
     * prediction may be false.
     */
    record Prediction(double at, String node, double failureAt) implements FtEvent {
    }

    /** A node of the job failed and the job stopped; all work since the last checkpoint is lost. */
    record Failure(double at, String node) implements FtEvent {
    }

    /** A checkpoint that the policy requested completed and is now the restart point. */
    record CheckpointDone(double at, double duration) implements FtEvent {
    }

    /**
     * A proactive action on {@code node} completed. After a pause to storage, the saved state is
     * also the new restart point.
     */
    record ProactiveDone(double at, String node, ProactiveAction action, double duration) implements FtEvent {
    }

    /** The job runs again from its last restart point after a failure (downtime and restart over). */
    record RestartDone(double at) implements FtEvent {
    }
}
