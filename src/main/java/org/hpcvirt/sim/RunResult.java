package org.hpcvirt.sim;

/**
 * The outcome of one simulation run.
 *
 * @param elapsed        simulated seconds (makespan if the job finished, else the horizon)
 * @param usefulWork     seconds of work done and not lost
 * @param finished       whether the job completed its work before the horizon
 * @param failures       failures that struck the job
 * @param avoided        failures that struck a node the job had left in time
 * @param checkpoints    checkpoints completed
 * @param migrations     proactive actions (migrations or pauses to storage) completed
 * @param predictions    predictions delivered (true and false)
 * @param falseAlarms    predictions not followed by a failure
 * @param events         events processed (a measure of simulation cost)
 */
public record RunResult(double elapsed, double usefulWork, boolean finished, long failures, long avoided,
        long checkpoints, long migrations, long predictions, long falseAlarms, long events) {
    /** Useful work / elapsed time. */
    public double efficiency() {
        return elapsed > 0 ? usefulWork / elapsed : 0;
    }

    /** 1 − efficiency. */
    public double waste() {
        return 1 - efficiency();
    }
}
