package org.hpcvirt.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.daemon.DaemonClient;
import org.hpcvirt.guest.ExecResult;
import org.hpcvirt.slurm.ClusterNodes;
import org.hpcvirt.slurm.SlurmJob;
import org.hpcvirt.vm.VmStatus;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code hpcvirt job …}: inside a Slurm job (SLURM_JOB_ID, SLURM_JOB_NODELIST), the job's VMs on its
 * nodes, reached through each node's daemon over the cluster's mutual TLS ({@link ClusterNodes}).
 */
@Command(name = "job", description = "Inside a Slurm job: run commands in the job's VMs, show them, checkpoint them.",
        subcommands = {JobCommand.Exec.class, JobCommand.Status.class, JobCommand.Checkpoint.class})
public final class JobCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Jetty's client logs every TLS context it builds at INFO; a command's output is no place for that. */
    static void quietJetty() {
        if (System.getProperty("org.slf4j.simpleLogger.log.org.eclipse.jetty") == null) {
            System.setProperty("org.slf4j.simpleLogger.log.org.eclipse.jetty", "warn");
        }
    }

    /** This host's name (in a Slurm node's namespace: the node's name). */
    static String hostName() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
        } catch (IOException e) {
            throw HpcvirtException.invalid("cannot read this host's name: " + e.getMessage());
        }
    }

    /** One VM of the job: its node and status. */
    record JobVm(String node, VmStatus vm) {
    }

    /** The job's VMs on {@code nodes}, node by node. */
    static List<JobVm> vms(ClusterNodes cluster, SlurmJob job, List<String> nodes, String self) {
        List<JobVm> out = new ArrayList<>();
        for (String n : nodes) {
            try (DaemonClient c = cluster.client(n, self)) {
                for (VmStatus v : c.list()) {
                    if (job.id().equals(SlurmJob.jobOf(v.name()))) {
                        out.add(new JobVm(n, v));
                    }
                }
            }
        }
        return out;
    }

    static String self(SlurmJob job) {
        return job.node() != null ? job.node() : hostName();
    }

    /** {@code hpcvirt job exec [--node N|--all] -- CMD…}. */
    @Command(name = "exec", description = "Run a command in the job's VMs: argv unchanged, output tagged [VM], exit status of the first VM that failed.")
    static final class Exec implements java.util.concurrent.Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Option(names = "--node", paramLabel = "N", description = "only the VMs on this node of the job (repeatable)")
        List<String> node = new ArrayList<>();
        @Option(names = "--all", description = "every VM of the job (the default)")
        boolean all;
        @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "60", description = "seconds before the command is killed (default ${DEFAULT-VALUE})")
        int timeout;
        @Parameters(paramLabel = "CMD", arity = "1..*", description = "the program and its arguments")
        List<String> argv;

        @Override
        public Integer call() throws Exception {
            if (all && !node.isEmpty()) {
                throw HpcvirtException.invalid("job exec: --node and --all exclude each other");
            }
            quietJetty();
            SlurmJob job = SlurmJob.fromEnvironment(System.getenv());
            for (String n : node) {
                if (!job.nodes().contains(n)) {
                    throw HpcvirtException.invalid("job exec: node " + n + " is not one of job " + job.id() + "'s nodes "
                            + job.nodes());
                }
            }
            ClusterNodes cluster = ClusterNodes.inForce();
            String self = self(job);
            List<JobVm> vms = vms(cluster, job, node.isEmpty() ? job.nodes() : node, self);
            if (vms.isEmpty()) {
                throw HpcvirtException.notFound("VMs of job " + job.id() + " on " + (node.isEmpty() ? job.nodes() : node)
                        + " (does the job have a VSE?)");
            }
            ExecutorService pool = Executors.newFixedThreadPool(Math.min(vms.size(), 16));
            try {
                List<Future<ExecResult>> results = new ArrayList<>();
                for (JobVm v : vms) {
                    results.add(pool.submit(() -> {
                        try (DaemonClient c = cluster.client(v.node(), self)) {
                            return c.exec(v.vm().name(), argv, Duration.ofSeconds(timeout));
                        }
                    }));
                }
                PrintWriter out = spec.commandLine().getOut();
                int status = 0;
                HpcvirtException failure = null;
                for (int i = 0; i < vms.size(); i++) {
                    String tag = "[" + vms.get(i).vm().name() + "] ";
                    try {
                        ExecResult r = results.get(i).get();
                        for (String line : r.output().split("\n", -1)) {
                            if (!line.isEmpty()) {
                                out.println(tag + line);
                            }
                        }
                        if (r.truncated()) {
                            out.println(tag + "(output truncated)");
                        }
                        if (r.exitCode() != 0 && status == 0) {
                            status = r.exitCode();
                        }
                    } catch (java.util.concurrent.ExecutionException e) {
                        HpcvirtException h = e.getCause() instanceof HpcvirtException x ? x
                                : new HpcvirtException(ErrorCode.OPERATION_FAILED, String.valueOf(e.getCause()));
                        out.println(tag + "error: " + HpcvirtException.chain(h));
                        failure = failure == null ? h : failure;
                    }
                }
                out.flush();
                if (failure != null && status == 0) {
                    throw failure;
                }
                return status;
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /** {@code hpcvirt job status}. */
    @Command(name = "status", description = "The job's VMs on its nodes: state, owner, last heartbeat.")
    static final class Status implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            quietJetty();
            SlurmJob job = SlurmJob.fromEnvironment(System.getenv());
            List<JobVm> vms = vms(ClusterNodes.inForce(), job, job.nodes(), self(job));
            PrintWriter out = spec.commandLine().getOut();
            String fmt = "%-24s %-10s %-10s %-8s %s%n";
            out.printf(Locale.ROOT, fmt, "vm", "node", "state", "owner", "heartbeat");
            for (JobVm v : vms) {
                out.printf(Locale.ROOT, fmt, v.vm().name(), v.node(), v.vm().state(), v.vm().owner(),
                        v.vm().lastHeartbeatAgeMs() < 0 ? "-" : "#" + v.vm().lastHeartbeatSeq() + ", " + v.vm().lastHeartbeatAgeMs() + " ms ago");
            }
            // the job's spare nodes (ft.spares) run no VM until work moves to them
            ClusterNodes cluster = ClusterNodes.inForce();
            for (String n : job.nodes()) {
                try (DaemonClient c = cluster.client(n, self(job))) {
                    for (java.util.Map<String, Object> r : c.jobRecords()) {
                        if (job.id().equals(String.valueOf(r.get("job"))) && org.hpcvirt.vse.DeploymentRecords.vms(r).isEmpty()) {
                            out.printf(Locale.ROOT, fmt, "-", n, org.hpcvirt.vse.DeploymentRecords.role(r).equals("spare") ? "spare"
                                    : "evacuated", "-", r.get("evacuatedTo") == null ? "-" : "VMs moved to " + r.get("evacuatedTo"));
                        }
                    }
                }
            }
            out.flush();
        }
    }

    /** {@code hpcvirt job checkpoint}. */
    @Command(name = "checkpoint", description = "Checkpoint all of the job's VMs on all its nodes at one consistent point (one checkpoint set).")
    static final class Checkpoint implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            quietJetty();
            SlurmJob job = SlurmJob.fromEnvironment(System.getenv());
            org.hpcvirt.slurm.CheckpointSet set = SlurmCommand.checkpointJob(ClusterNodes.inForce(), job.id(), job.nodes(), self(job));
            SlurmCommand.printSet(spec.commandLine().getOut(), set);
        }
    }
}
