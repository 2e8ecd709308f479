package org.hpcvirt.sim;

import java.util.List;

/**
 * The result of all replications of a scenario. Immutable.
 *
 * @param scenario    the scenario
 * @param period      checkpoint period used, seconds (infinite: no periodic checkpoints)
 * @param waste       1 − efficiency
 * @param efficiency  useful work / elapsed time
 * @param checkpoints checkpoints per run
 * @param failures    failures that struck the job, per run
 * @param avoided     failures avoided by a proactive action, per run
 * @param migrations  proactive actions per run
 * @param falseAlarms false alarms per run
 * @param makespan    elapsed seconds per run (the horizon for unfinished runs)
 * @param finished    runs in which the job finished
 * @param runs        every run's result
 */
public record Summary(Scenario scenario, double period, Estimate waste, Estimate efficiency, Estimate checkpoints,
        Estimate failures, Estimate avoided, Estimate migrations, Estimate falseAlarms, Estimate makespan, int finished,
        List<RunResult> runs) {
}
