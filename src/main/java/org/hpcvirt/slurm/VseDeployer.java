package org.hpcvirt.slurm;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.hpcvirt.api.DataSize;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.daemon.DaemonClient;
import org.hpcvirt.profile.HostLimits;
import org.hpcvirt.vm.VmStatus;
import org.hpcvirt.vse.MergedVse;
import org.hpcvirt.vse.VseLoader;
import org.hpcvirt.vse.VseMerge;

/**
 * What a node's Prolog and Epilog do for a job with a virtual system environment. The Prolog
 * re-validates the job's VSE file against the policy in force, defines the job's VMs on this node
 * through the node's own daemon (owner: the job's user; name {@code j<JOB>-<NODE>-<I>}), pinned to
 * the CPUs Slurm gave the job here, starts them and waits for each one's first heartbeat, and
 * records the deployment with its labels under {@code $HPCVIRT_HOME/vse/<JOB>.json}. A deployment
 * that fails for any reason but an unreachable daemon removes what it made, records why, puts the
 * reason into the job's comment and cancels the job: the Prolog still succeeds, so the node is not
 * drained (docs/slurm.md). Only a node fault (the daemon does not answer) fails the hook.
 * Under {@code network: private} the Prolog first makes the job's private network on this node
 * ({@link JobNetwork}) and sets each VM up on it after its first heartbeat.
 * The Epilog destroys every VM of the job on this node, with its overlays, then its private network.
 * Not thread-safe; one instance per hook run.
 */
public final class VseDeployer {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final Duration BOOT = Duration.ofSeconds(120);

    private final DaemonClient daemon;
    private final Path home;
    private final SlurmCommands slurm;
    private final HostLimits host;
    private final java.io.PrintStream log;
    private final CpuMap cpuMap;

    /** The same with the CPU map of this process's environment ({@link CpuMap#fromEnvironment()}). */
    public VseDeployer(DaemonClient daemon, Path home, SlurmCommands slurm, HostLimits host, java.io.PrintStream log) {
        this(daemon, home, slurm, host, log, CpuMap.fromEnvironment());
    }

    /**
     * @param daemon the node's own daemon (the caller closes it)
     * @param home   its {@code HPCVIRT_HOME} (images, deployment records)
     * @param slurm  how Slurm's commands run
     * @param host   this host's cores and memory
     * @param log    where the hook's lines go (slurmd's log)
     * @param cpuMap the host cores of Slurm's CPU ids on this node
     */
    public VseDeployer(DaemonClient daemon, Path home, SlurmCommands slurm, HostLimits host, java.io.PrintStream log, CpuMap cpuMap) {
        this.daemon = daemon;
        this.home = home;
        this.slurm = slurm;
        this.host = host;
        this.log = log;
        this.cpuMap = cpuMap;
    }

    /** The outcome of a hook: the exit code Slurm gets and what happened. */
    public record Outcome(int exitCode, String summary) {
    }

    /** The Prolog of a job's first run: deploys the job's VMs on this node; exit code 0 unless the node itself is at fault. */
    public Outcome prolog(SlurmJob job, Path policyFile) {
        return prolog(job, policyFile, 0);
    }

    /**
     * The Prolog: deploys the job's VMs on this node, restored from the job's newest good checkpoint
     * set when Slurm restarts the job ({@code restartCount} = {@code SLURM_JOB_RESTART_COUNT} &gt; 0,
     * see {@link JobRestore}); exit code 0 unless the node itself is at fault.
     */
    public Outcome prolog(SlurmJob job, Path policyFile, int restartCount) {
        if (job.vse() == null) {
            return new Outcome(0, "job " + job.id() + " has no VSE");
        }
        if (job.node() == null) {
            // Slurm always sets SLURMD_NODENAME for its hooks: without it this is no Prolog of a node
            return new Outcome(1, "job " + job.id() + ": SLURMD_NODENAME is not set; run 'hpcvirt slurm prolog' as the node's Prolog");
        }
        List<String> made = new ArrayList<>();
        long t0 = System.nanoTime();
        boolean networkMade = false;
        try {
            reconcile(job.node());
            MergedVse m = VseMerge.merge(VseLoader.file(job.vse()), VseLoader.policyInForce(policyFile), job.partition(), catalogue());
            checkHost(m);
            int count = m.vmsPerNode().value();
            long checked = System.nanoTime();
            // a spare node gets the job's network too: the VMs of a failing node move there
            JobNetwork net = m.network().value().equals("private") ? JobNetwork.of(job, count) : null;
            if (net != null) {
                net.create(daemon, job.node(), job.user(), ClusterNodes.inForce());
                networkMade = true;
            }
            // the last ft.spares nodes of the allocation stay free for the VMs of the others to move to
            List<String> spares = Spares.of(job.nodes(), m.spares().value());
            if (spares.contains(job.node())) {
                record(job, m, List.of(), List.of(), spares,
                        org.hpcvirt.vse.TimeLimitRule.of(VseLoader.policyInForce(policyFile), job.partition()));
                return new Outcome(0, "job " + job.id() + ": " + job.node() + " is a spare node (ft.spares " + spares.size()
                        + "): no VM deployed" + (net != null ? "; private network " + net.name() : ""));
            }
            List<Integer> cpus = jobCpus(job);
            for (int i = 0; i < count; i++) {
                String name = SlurmJob.vmName(job.id(), job.node(), i);
                daemon.define(profile(name, m, cpus, net), "VSE of job " + job.id() + " (" + job.vse() + ")", job.user());
                made.add(name);
            }
            long defined = System.nanoTime();
            String how = new JobRestore(daemon, slurm, log).restore(job, restartCount, made, BOOT);
            if (how != null) {
                awaitHeartbeats(made);
            } else {
                how = boot(m, made);
            }
            if (net != null) {
                // also after a restore: the VMs' places in the new allocation decide their addresses
                net.configure(daemon, made);
                how += "; private network " + net.name();
            }
            record(job, m, made, cpus, spares, org.hpcvirt.vse.TimeLimitRule.of(VseLoader.policyInForce(policyFile), job.partition()));
            long done = System.nanoTime();
            return new Outcome(0, "job " + job.id() + ": " + made.size() + " VM(s) running on " + job.node() + " (" + how + "): "
                    + String.join(", ", made) + String.format(java.util.Locale.ROOT,
                            " in %.2f s (checks and reconcile %.2f s, %s %.2f s, start to first heartbeats %.2f s)",
                            seconds(done - t0), seconds(checked - t0), net != null ? "network and define" : "define",
                            seconds(defined - checked), seconds(done - defined)));
        } catch (HpcvirtException e) {
            if (e.code() == ErrorCode.DAEMON_UNAVAILABLE) {
                // the node's daemon is gone: a node fault, which may drain the node
                return new Outcome(1, "job " + job.id() + ": the node's hpcvirt daemon does not answer: " + HpcvirtException.chain(e));
            }
            String reason = HpcvirtException.chain(e);
            destroy(made);
            if (networkMade) {
                removeNetwork(job.id());
            }
            fail(job, reason);
            return new Outcome(0, "job " + job.id() + ": deployment failed on " + job.node() + ", job cancelled: " + reason);
        }
    }

    private static double seconds(long nanos) {
        return nanos / 1e9;
    }

    /** The Epilog: destroys the job's VMs on this node and forgets its deployment record. */
    public Outcome epilog(SlurmJob job) {
        try {
            List<String> names = daemon.list().stream().map(VmStatus::name)
                    .filter(n -> n.startsWith(SlurmJob.vmPrefix(job.id())) && job.id().equals(SlurmJob.jobOf(n))).toList();
            List<String> left = destroy(names);
            Files.deleteIfExists(record(job.id()));
            if (!left.isEmpty()) {
                return new Outcome(1, "job " + job.id() + ": could not destroy " + String.join(", ", left));
            }
            boolean network = JobNetwork.delete(daemon, job.id());
            return new Outcome(0, "job " + job.id() + ": " + names.size() + " VM(s) destroyed on " + job.node()
                    + (network ? "; private network " + JobNetwork.nameOf(job.id()) + " removed" : ""));
        } catch (HpcvirtException e) {
            return new Outcome(1, "job " + job.id() + ": " + HpcvirtException.chain(e));
        } catch (IOException e) {
            return new Outcome(0, "job " + job.id() + ": VMs destroyed; the deployment record stays: " + e.getMessage());
        }
    }

    /**
     * Destroys the VMs of jobs that Slurm no longer runs on {@code node} (their Epilog never ran here:
     * a lost node, a daemon that was down). Jobs are asked of {@code squeue}; when it fails, nothing is
     * destroyed. Returns the VMs destroyed.
     */
    public List<String> reconcile(String node) {
        SlurmCommands.Result r = slurm.run(List.of("squeue", "-h", "-w", node, "-o", "%A",
                "--states=PENDING,CONFIGURING,RUNNING,COMPLETING,SUSPENDED,REQUEUED,RESIZING,SIGNALING,STAGE_OUT"));
        if (r.exitCode() != 0) {
            log.println("hpcvirt: cannot ask squeue which jobs run on " + node + ", no VM destroyed: " + r.output().strip());
            return List.of();
        }
        Set<String> active = new java.util.HashSet<>(r.output().lines().map(String::strip).filter(l -> !l.isEmpty()).toList());
        List<String> orphans = daemon.list().stream().map(VmStatus::name)
                .filter(n -> SlurmJob.jobOf(n) != null && !active.contains(SlurmJob.jobOf(n))).toList();
        List<String> left = destroy(orphans);
        if (left.isEmpty()) {
            // the networks after their VMs: a network whose VM could not be destroyed stays for the next try
            JobNetwork.reconcile(daemon, active, log);
        }
        for (String n : orphans) {
            if (!left.contains(n)) {
                log.println("hpcvirt: destroyed " + n + ": Slurm no longer runs job " + SlurmJob.jobOf(n) + " on " + node);
                try {
                    Files.deleteIfExists(record(SlurmJob.jobOf(n)));
                } catch (IOException e) {
                    log.println("hpcvirt: cannot delete " + record(SlurmJob.jobOf(n)) + ": " + e.getMessage());
                }
            }
        }
        return orphans.stream().filter(n -> !left.contains(n)).toList();
    }

    /**
     * Boots the defined VMs and waits for each one's first heartbeat: cold, or under
     * {@code deployment: snapshot} restored from the newest post-boot checkpoint of the same shape in
     * the store (tag {@link #warmTag}); when there is none yet, the first VM boots cold and is
     * checkpointed to make one. Returns how they came up.
     */
    private String boot(MergedVse m, List<String> names) {
        if (!m.deployment().value().equals("snapshot")) {
            // all of them at once, then their first heartbeats: a node's VMs boot side by side
            for (String name : names) {
                daemon.start(name, false, BOOT);
            }
            awaitHeartbeats(names);
            return "cold boot";
        }
        String tag = warmTag(m);
        java.util.Optional<org.hpcvirt.checkpoint.CheckpointManifest> warm = daemon.checkpoints(null).stream()
                .filter(c -> tag.equals(c.tag())).reduce((a, b) -> b);
        if (warm.isPresent()) {
            for (String name : names) {
                daemon.restore(warm.get().id(), name, false, BOOT);
            }
            awaitHeartbeats(names);
            return "restored from post-boot checkpoint " + warm.get().id();
        }
        for (String name : names) {
            daemon.start(name, true, BOOT);
        }
        org.hpcvirt.checkpoint.CheckpointManifest made = daemon.checkpoint(names.get(0), false, tag);
        return "cold boot; post-boot checkpoint " + made.id() + " taken for the next jobs";
    }

    /** Waits until every VM of {@code names} has sent a heartbeat since its start, at most {@link #BOOT} in all. */
    private void awaitHeartbeats(List<String> names) {
        long deadline = System.nanoTime() + BOOT.toNanos();
        for (String name : names) {
            while (true) {
                VmStatus s = daemon.status(name);
                if (s.state() == org.hpcvirt.api.VmState.RUNNING && s.lastHeartbeatAgeMs() >= 0) {
                    break;
                }
                if (s.state() != org.hpcvirt.api.VmState.STARTING && s.state() != org.hpcvirt.api.VmState.RUNNING) {
                    throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "VM " + name + " is " + s.state() + " instead of running");
                }
                if (System.nanoTime() > deadline) {
                    throw new HpcvirtException(ErrorCode.TIMEOUT, "VM " + name + " sent no heartbeat within " + BOOT.toSeconds() + " s");
                }
                try {
                    Thread.sleep(100); // polling the daemon; the Prolog has nothing else to do meanwhile
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "interrupted while waiting for " + name);
                }
            }
        }
    }

    /** The tag of the post-boot checkpoints VMs of {@code m}'s shape are deployed from. */
    static String warmTag(MergedVse m) {
        // a VM with a NIC is restored only from a checkpoint with one: QEMU loads state into the same devices
        return "vse-warm:" + m.image().value() + ":" + m.cpus().value() + ":" + DataSize.format(m.memoryBytes().value()) + ":"
                + (m.diskBytes().value() == null ? "nodisk" : DataSize.format(m.diskBytes().value()))
                + (m.network().value().equals("private") ? ":private" : "");
    }

    /** The deployment record of a job on this node. */
    public Path record(String jobId) {
        return home.resolve("vse").resolve(jobId + ".json");
    }

    private Set<String> catalogue() {
        return VseLoader.catalogue(home.resolve("images"));
    }

    private void checkHost(MergedVse m) {
        int vms = m.vmsPerNode().value();
        int cores = host.cores() - m.reserveCpus().value();
        if (vms * m.cpus().value() > cores) {
            throw HpcvirtException.invalid(vms + " VMs × " + m.cpus().value() + " virtual CPUs do not fit this node: " + host.cores()
                    + " cores less " + m.reserveCpus().value() + " reserved by " + m.reserveCpus().origin());
        }
        long memory = host.memoryBytes() - m.reserveMemory().value();
        if (vms * m.memoryBytes().value() > memory) {
            throw HpcvirtException.invalid(vms + " VMs × " + DataSize.format(m.memoryBytes().value()) + " do not fit this node: "
                    + DataSize.format(host.memoryBytes()) + " less " + DataSize.format(m.reserveMemory().value()) + " reserved by "
                    + m.reserveMemory().origin());
        }
    }

    /**
     * The host cores of the CPU ids Slurm gave the job on this node ({@code scontrol show job -d}:
     * {@code Nodes=… CPU_IDs=0-1}, through {@link CpuMap}); empty if unknown.
     */
    List<Integer> jobCpus(SlurmJob job) {
        SlurmCommands.Result r = slurm.run(List.of("scontrol", "show", "job", "-d", job.id()));
        if (r.exitCode() != 0) {
            log.println("hpcvirt: no CPU ids for job " + job.id() + " (scontrol: " + r.output().strip() + "); VMs not pinned");
            return List.of();
        }
        return cpuMap.hostCores(cpusOf(r.output(), job.node()));
    }

    /** The CPU ids of {@code node} in the output of {@code scontrol show job -d}. */
    static List<Integer> cpusOf(String scontrol, String node) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("Nodes=(\\S+) CPU_IDs=(\\S+)").matcher(scontrol);
        while (m.find()) {
            if (HostList.expand(m.group(1)).contains(node)) {
                return org.hpcvirt.api.CpuList.parse(m.group(2));
            }
        }
        return List.of();
    }

    static String profile(String name, MergedVse m, List<Integer> pinning, JobNetwork net) {
        StringBuilder y = new StringBuilder();
        y.append("name: ").append(name).append('\n');
        y.append("backend: qemu\n");
        y.append("cpus: ").append(m.cpus().value()).append('\n');
        y.append("memory: ").append(DataSize.format(m.memoryBytes().value())).append('\n');
        y.append("image: ").append(m.image().value()).append('\n');
        if (m.diskBytes().value() != null) {
            y.append("disk:\n  size: ").append(DataSize.format(m.diskBytes().value())).append('\n');
        }
        if (!pinning.isEmpty()) {
            y.append("pinning: ").append(pinning).append('\n');
        }
        if (net != null) {
            y.append("network: private\nprivateNetwork: ").append(net.name()).append('\n');
        }
        return y.toString();
    }

    private void record(SlurmJob job, MergedVse m, List<String> vms, List<Integer> cpus, List<String> spares,
            org.hpcvirt.vse.TimeLimitRule timeLimit) {
        Map<String, Object> labels = new LinkedHashMap<>(m.labels().value());
        labels.put("job", job.id());
        labels.put("user", job.user());
        labels.put("node", job.node());
        Map<String, Object> rec = new LinkedHashMap<>();
        rec.put("job", job.id());
        rec.put("user", job.user());
        rec.put("node", job.node());
        rec.put("vse", job.vse().toString());
        rec.put("role", spares.contains(job.node()) ? org.hpcvirt.vse.DeploymentRecords.SPARE : org.hpcvirt.vse.DeploymentRecords.COMPUTE);
        rec.put("spares", spares);
        rec.put("proactive", m.proactive().value());
        rec.put("vms", vms);
        rec.put("pinning", cpus);
        rec.put("labels", labels);
        rec.put("deployed", Instant.now().toString());
        // what the job's first node's daemon needs for the job's checkpoints (JobTimers)
        rec.put("nodes", job.nodes());
        rec.put("checkpointPeriodSeconds", m.checkpointPeriod().value() == null ? 0 : m.checkpointPeriod().value().toSeconds());
        rec.put("timeLimit", Map.of("action", timeLimit.action(), "marginSeconds", timeLimit.margin().toSeconds(),
                "origin", timeLimit.origin()));
        try {
            Files.createDirectories(record(job.id()).getParent());
            Path tmp = record(job.id()).resolveSibling(job.id() + ".json.tmp");
            JSON.writeValue(tmp.toFile(), rec);
            Files.move(tmp, record(job.id()), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot write the deployment record " + record(job.id()) + ": "
                    + e.getMessage());
        }
    }

    /** Removes the job's private network from this node after a failed deployment; a failure is logged, the job is cancelled anyway. */
    private void removeNetwork(String jobId) {
        try {
            JobNetwork.delete(daemon, jobId);
        } catch (HpcvirtException e) {
            log.println("hpcvirt: cannot remove private network " + JobNetwork.nameOf(jobId) + ": " + HpcvirtException.chain(e));
        }
    }

    /** Destroys the named VMs; returns those that could not be. */
    private List<String> destroy(List<String> names) {
        List<String> left = new ArrayList<>();
        for (String n : names) {
            try {
                daemon.destroy(n);
            } catch (HpcvirtException e) {
                if (e.code() != ErrorCode.NOT_FOUND) {
                    log.println("hpcvirt: cannot destroy " + n + ": " + HpcvirtException.chain(e));
                    left.add(n);
                }
            }
        }
        return left;
    }

    private void fail(SlurmJob job, String reason) {
        String comment = "hpcvirt: deploy failed on " + job.node() + ": " + reason;
        if (comment.length() > 500) {
            comment = comment.substring(0, 497) + "...";
        }
        try {
            Files.createDirectories(record(job.id()).getParent());
            Files.writeString(home.resolve("vse").resolve(job.id() + ".failed"), comment + "\n");
        } catch (IOException e) {
            log.println("hpcvirt: cannot record the failure of job " + job.id() + ": " + e.getMessage());
        }
        SlurmCommands.Result c = slurm.run(List.of("scontrol", "update", "jobid=" + job.id(), "comment=" + comment));
        if (c.exitCode() != 0) {
            log.println("hpcvirt: scontrol update of job " + job.id() + " failed: " + c.output().strip());
        }
        SlurmCommands.Result s = slurm.run(List.of("scancel", job.id()));
        if (s.exitCode() != 0) {
            log.println("hpcvirt: scancel " + job.id() + " failed: " + s.output().strip());
        }
    }
}
