package org.hpcvirt.ft;

/**
 * Tracks, from the events alone, how much work a failure would destroy now: time since the last
 * restart point minus time spent in proactive actions. One per policy instance; not thread-safe.
 */
final class WorkAtRisk {
    private double lastSafe;
    private double inactive;
    private boolean running;

    void observe(FtEvent event) {
        if (event instanceof FtEvent.Started || event instanceof FtEvent.RestartDone) {
            lastSafe = event.at();
            inactive = 0;
            running = true;
        } else if (event instanceof FtEvent.CheckpointDone) {
            lastSafe = event.at();
            inactive = 0;
        } else if (event instanceof FtEvent.ProactiveDone p) {
            if (p.action() == ProactiveAction.PAUSE) {
                lastSafe = p.at();
                inactive = 0;
            } else {
                inactive += p.duration();
            }
        } else if (event instanceof FtEvent.Failure) {
            running = false;
        }
    }

    /** Seconds of work lost if a failure struck at {@code now}. */
    double at(double now) {
        return Math.max(0, now - lastSafe - inactive);
    }

    /** Whether the job is running (started or restarted, not failed since). */
    boolean running() {
        return running;
    }
}
