package org.hpcvirt.ft.live;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.hpcvirt.api.DaemonThreads;
import org.hpcvirt.api.Durations;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.VmEvent;
import org.hpcvirt.api.VmState;
import org.hpcvirt.ft.FtAction;
import org.hpcvirt.ft.FtEvent;
import org.hpcvirt.ft.FtPolicy;
import org.hpcvirt.ft.PolicySettings;

/**
 * Runs one {@link FtPolicy} per watched VM in real time. Detections and predictions become
 * {@link FtEvent}s; the policy's actions are carried out through {@link FtMechanisms}; every
 * decision and its outcome is reported as an {@code FT_DECISION} event with its reason.
 *
 * <p>Threading: all policy calls and all mechanisms run on one executor thread, in order, so a
 * policy is never called concurrently and an action waits for the previous one to end (as the
 * {@link FtAction} contract asks). Public methods may be called from any thread. The creator
 * closes it.
 */
public final class LiveFtExecutor implements AutoCloseable {
    private final FtMechanisms mechanisms;
    private final Consumer<VmEvent> events;
    private final LongSupplier nanoClock;
    private final long origin;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("ft-executor"));
    private final Map<String, Job> jobs = new ConcurrentHashMap<>();

    /** One watched VM. Touched only on the executor thread, apart from the map. */
    private static final class Job {
        final String vm;
        final FtPolicy policy;
        final PolicySettings settings;
        boolean failed;

        Job(String vm, PolicySettings settings) {
            this.vm = vm;
            this.settings = settings;
            this.policy = FtPolicy.create(settings);
        }
    }

    /**
     * @param mechanisms how actions are carried out
     * @param events     where decisions are reported (e.g. the daemon's event bus)
     * @param nanoClock  a monotonic clock in nanoseconds ({@code System::nanoTime} in production)
     */
    public LiveFtExecutor(FtMechanisms mechanisms, Consumer<VmEvent> events, LongSupplier nanoClock) {
        this.mechanisms = mechanisms;
        this.events = events;
        this.nanoClock = nanoClock;
        this.origin = nanoClock.getAsLong();
    }

    /** Seconds on the executor's clock. */
    private double now() {
        return (nanoClock.getAsLong() - origin) / 1e9;
    }

    /** Starts driving {@code settings}' policy for a running VM. Replaces an earlier watch of it. */
    public void watch(String vm, PolicySettings settings) {
        thread.execute(() -> {
            Job job = new Job(vm, settings);
            jobs.put(vm, job);
            report(vm, "watching with policy " + settings.kind().id() + period(settings), Map.of("policy", settings.kind().id()));
            deliver(job, new FtEvent.Started(now()));
        });
    }

    /** Stops driving the VM's policy (VM destroyed or stopped on purpose). */
    public void unwatch(String vm) {
        thread.execute(() -> jobs.remove(vm));
    }

    public boolean watches(String vm) {
        return jobs.containsKey(vm);
    }

    /**
     * A VM event from the node: an unexpected QEMU exit or a guest kernel panic of a watched VM is
     * a failure of its node.
     */
    public void onVmEvent(VmEvent ev) {
        if (ev.vm() == null || !jobs.containsKey(ev.vm())) {
            return;
        }
        boolean failure = ev.type() == VmEvent.Type.GUEST_PANICKED
                || ev.type() == VmEvent.Type.QEMU_EXITED && ev.state() == VmState.CRASHED;
        if (!failure) {
            return;
        }
        thread.execute(() -> {
            Job job = jobs.get(ev.vm());
            if (job == null || job.failed) {
                return;
            }
            job.failed = true;
            String node = mechanisms.nodeOf(job.vm);
            report(job.vm, "failure detected on node " + node + " (" + ev.type() + ": " + ev.message() + ")", Map.of("node", node));
            deliver(job, new FtEvent.Failure(now(), node));
        });
    }

    /**
     * A prediction that {@code node} fails in {@code in}, with the predictor's {@code confidence}
     * (0..1). Delivered to the policy of every VM on that node; the policy decides whether it is
     * worth trusting.
     */
    public void predict(String node, Duration in, double confidence) {
        if (!(confidence >= 0 && confidence <= 1)) {
            throw HpcvirtException.invalid("confidence must be between 0 and 1, not " + confidence);
        }
        if (in.isNegative()) {
            throw HpcvirtException.invalid("a prediction's lead time cannot be negative");
        }
        thread.execute(() -> {
            double t = now();
            for (Job job : new ArrayList<>(jobs.values())) {
                if (!job.failed && node.equals(mechanisms.nodeOf(job.vm))) {
                    report(job.vm, String.format("prediction: node %s fails in %s (confidence %.2f)", node, Durations.format(in),
                            confidence), Map.of("node", node, "leadSeconds", Durations.seconds(in), "confidence", confidence));
                    deliver(job, new FtEvent.Prediction(t, node, t + Durations.seconds(in)));
                }
            }
        });
    }

    /** Runs until every queued event and action so far has been handled (for tests and shutdown). */
    public void drain(Duration timeout) throws InterruptedException {
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        thread.execute(done::countDown);
        done.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void deliver(Job job, FtEvent ev) {
        if (jobs.get(job.vm) != job) {
            return;
        }
        List<FtAction> actions = job.policy.on(ev);
        for (FtAction a : actions) {
            carryOut(job, a);
        }
    }

    private void carryOut(Job job, FtAction a) {
        String vm = job.vm;
        try {
            if (a instanceof FtAction.ScheduleTick tick) {
                long delayNanos = Math.max(0, (long) ((tick.at() - now()) * 1e9));
                if (Double.isFinite(tick.at())) {
                    thread.schedule(() -> deliver(job, new FtEvent.Tick(now())), delayNanos, TimeUnit.NANOSECONDS);
                }
            } else if (a instanceof FtAction.Checkpoint) {
                if (job.failed) {
                    return;
                }
                double t0 = now();
                report(vm, "checkpoint (periodic, " + job.settings.kind().id() + period(job.settings) + ")", Map.of());
                mechanisms.checkpoint(vm);
                double t1 = now();
                report(vm, String.format("checkpoint done in %.2f s", t1 - t0), Map.of("seconds", t1 - t0));
                deliver(job, new FtEvent.CheckpointDone(t1, t1 - t0));
            } else if (a instanceof FtAction.Migrate m) {
                proactive(job, m.node(), org.hpcvirt.ft.ProactiveAction.MIGRATE);
            } else if (a instanceof FtAction.PauseToStorage p) {
                proactive(job, p.node(), org.hpcvirt.ft.ProactiveAction.PAUSE);
            } else if (a instanceof FtAction.Restart) {
                String failed = mechanisms.nodeOf(vm);
                String target = mechanisms.spareNode(failed);
                double t0 = now();
                report(vm, "restart from the latest checkpoint on node " + target, Map.of("node", target));
                mechanisms.restartFromLatest(vm, target);
                job.failed = false;
                report(vm, String.format("restarted on node %s in %.2f s", target, now() - t0), Map.of("node", target));
                if (!handedOver(job, target)) {
                    deliver(job, new FtEvent.RestartDone(now()));
                }
            } else if (a instanceof FtAction.Nothing n) {
                report(vm, "no action: " + n.reason(), Map.of());
            }
        } catch (HpcvirtException e) {
            report(vm, "action " + a.getClass().getSimpleName() + " failed: " + HpcvirtException.chain(e), Map.of("failed", true));
        }
    }

    private void proactive(Job job, String node, org.hpcvirt.ft.ProactiveAction action) {
        if (job.failed) {
            return;
        }
        String target = mechanisms.spareNode(node);
        double t0 = now();
        String verb = action == org.hpcvirt.ft.ProactiveAction.MIGRATE ? "live-migrate" : "pause to storage and resume";
        report(job.vm, "trusted prediction: " + verb + " from node " + node + " to " + target, Map.of("node", target));
        if (action == org.hpcvirt.ft.ProactiveAction.MIGRATE) {
            mechanisms.migrate(job.vm, target);
        } else {
            mechanisms.pauseToStorage(job.vm, target);
        }
        double t1 = now();
        report(job.vm, String.format("%s done in %.2f s", verb, t1 - t0), Map.of("seconds", t1 - t0));
        if (!handedOver(job, target)) {
            deliver(job, new FtEvent.ProactiveDone(t1, node, action, t1 - t0));
        }
    }

    /** If the VM left this node, its policy goes on where it runs now: stop driving it here. */
    private boolean handedOver(Job job, String target) {
        if (mechanisms.owns(job.vm)) {
            return false;
        }
        jobs.remove(job.vm, job);
        report(job.vm, "now runs on node " + target + "; its policy continues there", Map.of("node", target));
        return true;
    }

    private static String period(PolicySettings s) {
        return Double.isFinite(s.period()) ? ", period " + Durations.format(Duration.ofMillis((long) (s.period() * 1000))) : "";
    }

    private void report(String vm, String message, Map<String, Object> data) {
        events.accept(VmEvent.of(vm, VmEvent.Type.FT_DECISION, null, message, data));
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
