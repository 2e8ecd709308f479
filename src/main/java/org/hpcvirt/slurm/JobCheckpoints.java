package org.hpcvirt.slurm;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.function.Function;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Operation;
import org.hpcvirt.api.OperationClient;
import org.hpcvirt.api.VmState;
import org.hpcvirt.checkpoint.CheckpointManifest;
import org.hpcvirt.vm.VmStatus;

/**
 * A coordinated checkpoint of a Slurm job: every VM {@code j<JOB>-*} on every node of the job is
 * paused (all nodes at once, then the consistent point), each is captured into the shared store
 * while paused, every VM paused here is resumed (also when something failed), and the checkpoints
 * become one {@link CheckpointSet}. If any VM cannot be paused or captured, or the set cannot be
 * written (a full store), the checkpoints made for it are deleted and nothing of the attempt is
 * kept, so the previous set stays the newest; after a good set, older ones are pruned
 * ({@link CheckpointSets#prune}, the newest good set is never deleted).
 *
 * <p>The nodes are reached through {@code clients} (this node's own dispatcher, the others' daemons
 * over mutual TLS); {@link #checkpoint} closes every client it got from the function before it
 * returns. Thread-safe: one job is checkpointed by one call at a time
 * per instance; calls for different jobs run side by side.
 */
public final class JobCheckpoints {
    private final CheckpointSets sets;
    private final Function<String, OperationClient> clients;
    private final Consumer<String> log;
    private final Map<String, Object> locks = new ConcurrentHashMap<>();

    /**
     * @param sets    where the sets go
     * @param clients node name → a client of that node's daemon
     * @param log     where a line per set goes (the daemon's log)
     */
    public JobCheckpoints(CheckpointSets sets, Function<String, OperationClient> clients, Consumer<String> log) {
        this.sets = sets;
        this.clients = clients;
        this.log = log;
    }

    /** The sets this coordinator writes. */
    public CheckpointSets sets() {
        return sets;
    }

    /** One VM of the job: node, index, name, state. */
    private record JobVm(String node, int index, String name, VmState state) {
    }

    /**
     * Takes one checkpoint set of {@code job} on {@code nodes}.
     *
     * @throws HpcvirtException NOT_FOUND if no node has a VM of the job; the first failure (naming
     *         the VM and node) if the set could not be made
     */
    public CheckpointSet checkpoint(String job, List<String> nodes, String reason, int keep) {
        sets.dir(job); // checks the job id
        if (nodes == null || nodes.isEmpty()) {
            throw HpcvirtException.invalid("checkpoint of job " + job + ": no nodes given");
        }
        synchronized (locks.computeIfAbsent(job, j -> new Object())) {
            return checkpointLocked(job, List.copyOf(nodes), reason == null ? "request" : reason, keep);
        }
    }

    private CheckpointSet checkpointLocked(String job, List<String> nodes, String reason, int keep) {
        Map<String, OperationClient> cs = new LinkedHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(nodes.size(), org.hpcvirt.api.DaemonThreads.named("job-checkpoint-" + job));
        try {
            for (String n : nodes) {
                cs.put(n, clients.apply(n));
            }
            Map<String, List<JobVm>> vms = perNode(pool, nodes, n -> vmsOf(cs.get(n), n, job));
            int total = vms.values().stream().mapToInt(List::size).sum();
            if (total == 0) {
                throw HpcvirtException.notFound("VMs of job " + job + " on " + String.join(", ", nodes));
            }
            int perNode = vms.values().stream().mapToInt(List::size).max().orElse(0);
            Map<String, List<JobVm>> paused = new ConcurrentHashMap<>();
            long t0 = System.nanoTime();
            Map<String, List<CheckpointManifest>> made = new ConcurrentHashMap<>();
            Instant point;
            int seq = sets.nextSeq(job);
            String tag = "job:" + job + ":set:" + seq;
            long pauseMs;
            try {
                perNode(pool, nodes, n -> {
                    List<JobVm> mine = new ArrayList<>();
                    paused.put(n, mine);
                    for (JobVm v : vms.get(n)) {
                        if (v.state() == VmState.RUNNING || v.state() == VmState.HUNG) {
                            cs.get(n).execute(new Operation.Pause(v.name()), VmStatus.class);
                            mine.add(v);
                        } else if (v.state() != VmState.PAUSED) {
                            throw new HpcvirtException(ErrorCode.WRONG_STATE, "VM " + v.name() + " on " + n + " is " + v.state()
                                    + ", not running or paused");
                        }
                    }
                    return null;
                });
                point = Instant.now();
                perNode(pool, nodes, n -> {
                    List<CheckpointManifest> mine = new ArrayList<>();
                    made.put(n, mine);
                    for (JobVm v : vms.get(n)) {
                        mine.add(cs.get(n).execute(new Operation.Checkpoint(v.name(), false, tag), CheckpointManifest.class));
                    }
                    return null;
                });
            } catch (RuntimeException e) {
                resumeAll(pool, cs, paused);
                discard(made);
                log.accept("hpcvirt: checkpoint of job " + job + " failed, no set written, the previous set stays: "
                        + HpcvirtException.chain(e));
                throw e;
            }
            resumeAll(pool, cs, paused);
            pauseMs = (System.nanoTime() - t0) / 1_000_000;
            List<CheckpointSet.Member> members = new ArrayList<>();
            for (String n : nodes) {
                List<JobVm> vs = vms.get(n);
                List<CheckpointManifest> ms = made.get(n);
                for (int i = 0; i < vs.size(); i++) {
                    members.add(new CheckpointSet.Member(n, vs.get(i).index(), vs.get(i).name(), ms.get(i).id(),
                            sets.manifestSha256(ms.get(i).id())));
                }
            }
            CheckpointSet set = new CheckpointSet(CheckpointSet.FORMAT, job, seq, point, reason, nodes, perNode, pauseMs, members);
            try {
                sets.write(set);
            } catch (RuntimeException e) {
                discard(made);
                log.accept("hpcvirt: checkpoint of job " + job + " failed, the previous set stays: " + HpcvirtException.chain(e));
                throw e;
            }
            List<Integer> pruned = sets.prune(job, keep);
            log.accept("hpcvirt: " + set.label() + " (" + reason + "): " + members.size() + " VM(s) on " + String.join(", ", nodes)
                    + ", paused " + pauseMs + " ms" + (pruned.isEmpty() ? "" : "; pruned set(s) " + pruned));
            return set;
        } finally {
            pool.shutdownNow();
            for (OperationClient c : cs.values()) {
                try {
                    c.close();
                } catch (RuntimeException e) {
                    // closing a client never changes the outcome
                }
            }
        }
    }

    /** The job's VMs on one node, by index. */
    private static List<JobVm> vmsOf(OperationClient c, String node, String job) {
        VmStatus[] all = c.execute(new Operation.ListVms(), VmStatus[].class);
        List<JobVm> out = new ArrayList<>();
        for (VmStatus s : all) {
            if (job.equals(SlurmJob.jobOf(s.name()))) {
                out.add(new JobVm(node, indexOf(s.name()), s.name(), s.state()));
            }
        }
        out.sort(Comparator.comparingInt(JobVm::index));
        return out;
    }

    /** The index at the end of a VM name {@code j<JOB>-<NODE>-<I>}. */
    static int indexOf(String vm) {
        return Integer.parseInt(vm.substring(vm.lastIndexOf('-') + 1));
    }

    private interface NodeTask<T> {
        T run(String node);
    }

    /** Runs {@code task} for every node at once; the first failure is rethrown once all ended. */
    private static <T> Map<String, T> perNode(ExecutorService pool, List<String> nodes, NodeTask<T> task) {
        Map<String, Future<T>> fs = new LinkedHashMap<>();
        for (String n : nodes) {
            fs.put(n, pool.submit(() -> task.run(n)));
        }
        Map<String, T> out = new LinkedHashMap<>();
        RuntimeException first = null;
        for (Map.Entry<String, Future<T>> e : fs.entrySet()) {
            try {
                out.put(e.getKey(), e.getValue().get());
            } catch (java.util.concurrent.ExecutionException ex) {
                if (first == null) {
                    first = ex.getCause() instanceof HpcvirtException h ? new HpcvirtException(h.code(), e.getKey() + ": " + h.getMessage())
                            : new HpcvirtException(ErrorCode.OPERATION_FAILED, e.getKey() + ": " + ex.getCause());
                }
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "interrupted while checkpointing on " + e.getKey());
            }
        }
        if (first != null) {
            throw first;
        }
        return out;
    }

    private void resumeAll(ExecutorService pool, Map<String, OperationClient> cs, Map<String, List<JobVm>> paused) {
        List<Future<?>> fs = new ArrayList<>();
        for (Map.Entry<String, List<JobVm>> e : paused.entrySet()) {
            fs.add(pool.submit(() -> {
                for (JobVm v : e.getValue()) {
                    try {
                        cs.get(e.getKey()).execute(new Operation.Resume(v.name()), VmStatus.class);
                    } catch (RuntimeException ex) {
                        log.accept("hpcvirt: cannot resume " + v.name() + " on " + e.getKey() + ": " + HpcvirtException.chain(ex));
                    }
                }
            }));
        }
        for (Future<?> f : fs) {
            try {
                f.get();
            } catch (java.util.concurrent.ExecutionException ex) {
                log.accept("hpcvirt: resuming failed: " + ex.getCause());
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void discard(Map<String, List<CheckpointManifest>> made) {
        try {
            sets.deleteCheckpoints(made.values().stream().flatMap(List::stream).map(CheckpointManifest::id).toList());
        } catch (RuntimeException e) {
            log.accept("hpcvirt: cannot delete the checkpoints of a failed set: " + HpcvirtException.chain(e));
        }
    }
}
