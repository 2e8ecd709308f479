package org.hpcvirt.slurm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Operation;
import org.hpcvirt.api.OperationClient;
import org.hpcvirt.vm.VmStatus;

/**
 * Nothing of a job runs twice: the node daemon destroys its VMs of Slurm jobs that Slurm no longer
 * runs on this node, e.g. after the node was cut off or down, Slurm requeued the job and it now runs
 * restored elsewhere. Only VMs the Prolog deployed count (those with a deployment record
 * {@code $HPCVIRT_HOME/vse/<JOB>.json}); a VM is destroyed, never resumed, with its record. It runs
 * when the daemon starts and every {@link #EVERY} after; when {@code squeue} fails (the controller
 * is unreachable) nothing is destroyed and the next round asks again. It is also the node's
 * {@link NodeWatch.Fence}: a node cut off from the others pauses those VMs, and once Slurm can be
 * asked again destroys the ones of jobs that moved and resumes the rest. Thread-safe: rounds run on
 * one scheduler thread (and in {@link #unfence}, one at a time); {@link #close} stops it.
 */
public final class JobReconcile implements AutoCloseable, NodeWatch.Fence {
    /** How often a round runs. */
    public static final Duration EVERY = Duration.ofSeconds(10);

    private final Path records;
    private final String node;
    private final OperationClient daemon;
    private final SlurmCommands slurm;
    private final Consumer<String> log;
    private ScheduledExecutorService scheduler;
    private boolean controllerLost;
    /** VMs this node paused while cut off ({@link #fence}), in order; guarded by itself, never by a round (whose squeue may hang). */
    private final List<String> fenced = new ArrayList<>();

    /**
     * @param records the deployment records ({@code $HPCVIRT_HOME/vse})
     * @param node    this node's Slurm name
     * @param daemon  this node's daemon (not closed here)
     * @param slurm   runs squeue
     * @param log     a line per VM destroyed and per lost or regained controller
     */
    public JobReconcile(Path records, String node, OperationClient daemon, SlurmCommands slurm, Consumer<String> log) {
        this.records = records;
        this.node = node;
        this.daemon = daemon;
        this.slurm = slurm;
        this.log = log;
    }

    /** Runs a round now and then every {@link #EVERY}; a no-op for a node without a name. */
    public synchronized void start() {
        if (node == null || scheduler != null) {
            return;
        }
        scheduler = Executors.newSingleThreadScheduledExecutor(org.hpcvirt.api.DaemonThreads.named("job-reconcile"));
        scheduler.scheduleWithFixedDelay(() -> {
            try {
                round();
            } catch (RuntimeException e) {
                log.accept("hpcvirt: reconcile: " + HpcvirtException.chain(e));
            }
        }, 0, EVERY.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Pauses the running VMs the Prolog deployed here (those with a deployment record): this node
     * is cut off and about to be set DOWN ({@link NodeWatch}). Returns the VMs paused.
     */
    @Override
    public List<String> fence(String why) {
        synchronized (fenced) {
            return pauseAll(why);
        }
    }

    private List<String> pauseAll(String why) {
        List<String> paused = new ArrayList<>();
        for (VmStatus s : prologVms()) {
            if (s.state() != org.hpcvirt.api.VmState.RUNNING) {
                continue;
            }
            try {
                daemon.execute(new Operation.Pause(s.name()), VmStatus.class);
                paused.add(s.name());
                if (!fenced.contains(s.name())) {
                    fenced.add(s.name());
                }
            } catch (HpcvirtException e) {
                log.accept("hpcvirt: cannot pause " + s.name() + " (" + why + "): " + HpcvirtException.chain(e));
            }
        }
        return paused;
    }

    /**
     * After a fence: a round (the VMs of jobs Slurm no longer runs here go), then the fenced VMs that
     * are left are resumed. False, with nothing done, while squeue cannot reach the controller.
     */
    @Override
    public boolean unfence() {
        synchronized (this) {
            round();
            if (controllerLost) {
                return false;
            }
        }
        synchronized (fenced) {
            return resumeLeft();
        }
    }

    private boolean resumeLeft() {
        List<String> resumed = new ArrayList<>();
        for (String vm : fenced) {
            try {
                VmStatus s = daemon.execute(new Operation.Status(vm), VmStatus.class);
                if (s.state() == org.hpcvirt.api.VmState.PAUSED) {
                    daemon.execute(new Operation.Resume(vm), VmStatus.class);
                    resumed.add(vm);
                }
            } catch (HpcvirtException e) {
                if (e.code() != ErrorCode.NOT_FOUND) {
                    log.accept("hpcvirt: cannot resume " + vm + " after the fence: " + HpcvirtException.chain(e));
                }
            }
        }
        fenced.clear();
        if (!resumed.isEmpty()) {
            log.accept("hpcvirt: resumed " + String.join(", ", resumed) + ": Slurm still runs their jobs on " + node);
        }
        return true;
    }

    /** This node's VMs that the Prolog deployed: those of a Slurm job with a deployment record here. */
    private List<VmStatus> prologVms() {
        List<VmStatus> out = new ArrayList<>();
        for (VmStatus s : daemon.execute(new Operation.ListVms(), VmStatus[].class)) {
            String job = SlurmJob.jobOf(s.name());
            if (job != null && Files.exists(records.resolve(job + ".json"))) {
                out.add(s);
            }
        }
        return out;
    }

    /** One round: returns the VMs destroyed. */
    public synchronized List<String> round() {
        List<String> candidates = prologVms().stream().map(VmStatus::name).toList();
        if (candidates.isEmpty()) {
            return List.of();
        }
        SlurmCommands.Result r = slurm.run(List.of("squeue", "-h", "-w", node, "-o", "%A",
                "--states=PENDING,CONFIGURING,RUNNING,COMPLETING,SUSPENDED,REQUEUED,RESIZING,SIGNALING,STAGE_OUT"));
        if (r.exitCode() != 0) {
            if (!controllerLost) {
                log.accept("hpcvirt: cannot ask squeue which jobs run on " + node + ", no VM destroyed until it answers: "
                        + r.output().strip());
                controllerLost = true;
            }
            return List.of();
        }
        if (controllerLost) {
            log.accept("hpcvirt: squeue answers again on " + node);
            controllerLost = false;
        }
        Set<String> active = new HashSet<>(r.output().lines().map(String::strip).filter(l -> !l.isEmpty()).toList());
        List<String> gone = new ArrayList<>();
        for (String vm : candidates) {
            String job = SlurmJob.jobOf(vm);
            if (active.contains(job)) {
                continue;
            }
            try {
                daemon.execute(new Operation.Destroy(vm), Void.class);
            } catch (HpcvirtException e) {
                if (e.code() != ErrorCode.NOT_FOUND) {
                    log.accept("hpcvirt: cannot destroy " + vm + " of job " + job + ": " + HpcvirtException.chain(e));
                    continue;
                }
            }
            gone.add(vm);
            log.accept("hpcvirt: destroyed " + vm + ": Slurm no longer runs job " + job + " on " + node + " (it may run elsewhere now)");
        }
        for (String vm : gone) {
            String job = SlurmJob.jobOf(vm);
            boolean more = candidates.stream().anyMatch(v -> job.equals(SlurmJob.jobOf(v)) && !gone.contains(v));
            if (!more) {
                try {
                    Files.deleteIfExists(records.resolve(job + ".json"));
                } catch (IOException e) {
                    log.accept("hpcvirt: cannot delete " + records.resolve(job + ".json") + ": " + e.getMessage());
                }
            }
        }
        return gone;
    }

    @Override
    public synchronized void close() {
        if (scheduler != null) {
            scheduler.shutdownNow();
            scheduler = null;
        }
    }
}
