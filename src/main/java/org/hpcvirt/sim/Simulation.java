package org.hpcvirt.sim;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.IntFunction;
import java.util.random.RandomGenerator;
import org.hpcvirt.ft.FtAction;
import org.hpcvirt.ft.FtEvent;
import org.hpcvirt.ft.FtPolicy;
import org.hpcvirt.ft.ProactiveAction;

/**
 * One discrete-event run: a job spanning the platform, a failure process, a predictor and one
 * {@link FtPolicy} that decides. The loop pops the earliest event, tells the policy what
 * happened and carries out the actions it returns (all action handling is in {@link #perform}).
 * Failures during downtime do not affect the job (its nodes are being replaced). One instance
 * per run; not thread-safe.
 */
public final class Simulation {
    private enum State { RUNNING, CHECKPOINTING, PROACTIVE, DOWN, RESTARTING, DONE }

    private enum Kind { ANNOUNCE, FAILURE, FALSE_ALARM, TICK, OPERATION_DONE, DOWN_OVER, JOB_DONE }

    private record Event(double at, long seq, Kind kind, int node, double value, long generation) {
    }

    private final PriorityQueue<Event> queue = new PriorityQueue<>((a, b) ->
            a.at != b.at ? Double.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
    private final Scenario sc;
    private final FtPolicy policy;
    private final FailureProcess failures;
    private final RandomGenerator rng;
    private final int nodes;
    private final double falseAlarmRate;
    private final IntFunction<String> nodeName = i -> "n" + i;
    private final ArrayDeque<FtAction> pending = new ArrayDeque<>();
    private final Map<Integer, Double> evacuatedUntil = new HashMap<>();
    private final Map<Integer, Double> predictedAt = new HashMap<>();

    private long seq;
    private double now;
    private State state = State.RUNNING;
    private long generation;
    private double progress;
    private double saved;
    private double runStart;
    private double operationStart;
    private FtAction operation;
    private long nFailures;
    private long nAvoided;
    private long nCheckpoints;
    private long nMigrations;
    private long nPredictions;
    private long nFalseAlarms;
    private long nEvents;

    /**
     * @param failures the platform failures for this run (e.g. {@link FailureModel#start})
     * @param rng      random source of this run only
     */
    public Simulation(Scenario scenario, FtPolicy policy, FailureProcess failures, RandomGenerator rng) {
        this.sc = scenario;
        this.policy = policy;
        this.failures = failures;
        this.rng = rng;
        this.nodes = scenario.nodes();
        this.falseAlarmRate = scenario.predictor().falseAlarmRate(scenario.platformMtbf());
    }

    /** Runs until the job's work is done or the horizon is reached. */
    public RunResult run() {
        announceNext();
        if (falseAlarmRate > 0) {
            push(exp(falseAlarmRate), Kind.FALSE_ALARM, -1, 0);
        }
        enterRunning();
        deliver(new FtEvent.Started(0));
        double horizon = sc.horizon();
        while (!queue.isEmpty() && state != State.DONE) {
            Event e = queue.peek();
            if (e.at > horizon) {
                break;
            }
            queue.poll();
            now = e.at;
            nEvents++;
            handle(e);
        }
        if (state != State.DONE) {
            now = horizon;
            if (state == State.RUNNING) {
                progress += now - runStart;
            }
        }
        boolean done = state == State.DONE;
        return new RunResult(now, done ? sc.work() : progress, done, nFailures, nAvoided, nCheckpoints, nMigrations,
                nPredictions, nFalseAlarms, nEvents);
    }

    private void handle(Event e) {
        switch (e.kind) {
            case ANNOUNCE -> {
                push(e.value, Kind.FAILURE, e.node, 0);
                if (sc.predictor().recall() > 0 && rng.nextDouble() < sc.predictor().recall()) {
                    predict(e.node, e.value);
                }
                announceNext();
            }
            case FALSE_ALARM -> {
                nFalseAlarms++;
                predict(rng.nextInt(nodes), now + sc.predictor().leadTime());
                push(now + exp(falseAlarmRate), Kind.FALSE_ALARM, -1, 0);
            }
            case FAILURE -> failure(e.node);
            case TICK -> deliver(new FtEvent.Tick(now));
            case OPERATION_DONE -> {
                if (e.generation == generation) {
                    operationDone();
                }
            }
            case DOWN_OVER -> {
                if (e.generation == generation) {
                    state = State.RESTARTING;
                    operationStart = now;
                    push(now + sc.restartCost(), Kind.OPERATION_DONE, -1, 0);
                }
            }
            case JOB_DONE -> {
                if (e.generation == generation && state == State.RUNNING) {
                    progress = sc.work();
                    state = State.DONE;
                }
            }
        }
    }

    /** Draws the next platform failure and schedules its announcement one lead time before it. */
    private void announceNext() {
        PlatformFailure f = failures.next();
        double lead = sc.predictor().recall() > 0 ? sc.predictor().leadTime() : 0;
        push(Math.max(now, f.at() - lead), Kind.ANNOUNCE, f.node(), f.at());
    }

    private void predict(int node, double failureAt) {
        nPredictions++;
        predictedAt.merge(node, failureAt, Math::max);
        if (predictedAt.size() > 4096) {
            predictedAt.values().removeIf(t -> t < now);
        }
        deliver(new FtEvent.Prediction(now, nodeName.apply(node), failureAt));
    }

    private void failure(int node) {
        Double until = evacuatedUntil.get(node);
        if (until != null && until >= now) {
            nAvoided++;
            evacuatedUntil.remove(node);
            return;
        }
        if (state == State.DOWN || state == State.DONE) {
            return;
        }
        nFailures++;
        if (state == State.RUNNING) {
            progress += now - runStart;
        }
        progress = saved;
        state = State.DOWN;
        generation++;
        operation = null;
        pending.clear();
        deliver(new FtEvent.Failure(now, nodeName.apply(node)));
    }

    private void operationDone() {
        double duration = now - operationStart;
        FtAction op = operation;
        State was = state;
        operation = null;
        enterRunning();
        if (was == State.RESTARTING) {
            deliver(new FtEvent.RestartDone(now));
        } else if (was == State.CHECKPOINTING) {
            nCheckpoints++;
            saved = progress;
            deliver(new FtEvent.CheckpointDone(now, duration));
        } else if (was == State.PROACTIVE) {
            nMigrations++;
            int node = nodeIndex(op);
            double until = predictedAt.getOrDefault(node, now);
            evacuatedUntil.put(node, until);
            ProactiveAction kind = op instanceof FtAction.PauseToStorage ? ProactiveAction.PAUSE : ProactiveAction.MIGRATE;
            if (kind == ProactiveAction.PAUSE) {
                saved = progress;
            }
            deliver(new FtEvent.ProactiveDone(now, nodeName.apply(node), kind, duration));
        }
        if (evacuatedUntil.size() > 4096) {
            evacuatedUntil.values().removeIf(t -> t < now);
        }
        while (state == State.RUNNING && !pending.isEmpty()) {
            perform(pending.poll());
        }
    }

    private void enterRunning() {
        state = State.RUNNING;
        runStart = now;
        generation++;
        if (Double.isFinite(sc.work())) {
            push(now + (sc.work() - progress), Kind.JOB_DONE, -1, 0);
        }
    }

    private void deliver(FtEvent event) {
        List<FtAction> actions = policy.on(event);
        for (FtAction a : actions) {
            perform(a);
        }
    }

    /** Carries out one action of the policy; the only place where actions are interpreted. */
    private void perform(FtAction a) {
        if (a instanceof FtAction.ScheduleTick t) {
            push(Math.max(now, t.at()), Kind.TICK, -1, 0);
        } else if (a instanceof FtAction.Restart) {
            if (state == State.DOWN) {
                push(now + sc.downtime().draw(rng), Kind.DOWN_OVER, -1, 0);
            }
        } else if (a instanceof FtAction.Checkpoint) {
            startOperation(a, State.CHECKPOINTING, sc.checkpointCost());
        } else if (a instanceof FtAction.Migrate) {
            startOperation(a, State.PROACTIVE, sc.migrationCost());
        } else if (a instanceof FtAction.PauseToStorage) {
            startOperation(a, State.PROACTIVE, sc.checkpointCost() + sc.restartCost());
        }
        // FtAction.Nothing: nothing to do.
    }

    private void startOperation(FtAction a, State next, double cost) {
        if (state == State.CHECKPOINTING || state == State.PROACTIVE) {
            pending.add(a);
            return;
        }
        if (state != State.RUNNING) {
            return;
        }
        if (!(a instanceof FtAction.Checkpoint) && predictedAt.getOrDefault(nodeIndex(a), -1.0) < now) {
            return; // the predicted time has passed while the action waited
        }
        progress += now - runStart;
        state = next;
        generation++;
        operation = a;
        operationStart = now;
        push(now + cost, Kind.OPERATION_DONE, -1, 0);
    }

    private static int nodeIndex(FtAction a) {
        String name = a instanceof FtAction.Migrate m ? m.node() : ((FtAction.PauseToStorage) a).node();
        return Integer.parseInt(name.substring(1));
    }

    private void push(double at, Kind kind, int node, double value) {
        queue.add(new Event(at, seq++, kind, node, value, generation));
    }

    private double exp(double rate) {
        return -Math.log(1 - rng.nextDouble()) / rate;
    }
}
