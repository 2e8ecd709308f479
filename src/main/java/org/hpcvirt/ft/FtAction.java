package org.hpcvirt.ft;

/**
 * What a policy asks its driver to do. The driver handles every action in one place. An action
 * that cannot start because another operation (checkpoint, proactive action, restart) is under
 * way waits until that operation ends; a waiting action is dropped if the job fails meanwhile.
 */
public sealed interface FtAction {
    /** Take a checkpoint of the whole job. Allowed while the job runs. */
    record Checkpoint() implements FtAction {
    }

    /** Live-migrate the VM(s) on {@code node} to a spare node. Allowed while the job runs. */
    record Migrate(String node) implements FtAction {
    }

    /**
     * Pause the VM(s) on {@code node}, save their state to storage and resume them on a spare
     * node. Allowed while the job runs; the saved state becomes a restart point.
     */
    record PauseToStorage(String node) implements FtAction {
    }

    /** Restart the job from its last restart point (after downtime). Allowed after a failure. */
    record Restart() implements FtAction {
    }

    /** Deliver a {@link FtEvent.Tick} at driver time {@code at}. Allowed any time. */
    record ScheduleTick(double at) implements FtAction {
    }

    /** Deliberately do nothing; {@code reason} says why (for logs and explanations). */
    record Nothing(String reason) implements FtAction {
    }
}
