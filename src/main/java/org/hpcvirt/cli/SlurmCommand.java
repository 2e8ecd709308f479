package org.hpcvirt.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import org.hpcvirt.daemon.DaemonClient;
import org.hpcvirt.profile.HostLimits;
import org.hpcvirt.slurm.SlurmCommands;
import org.hpcvirt.slurm.SlurmJob;
import org.hpcvirt.slurm.VseDeployer;
import org.hpcvirt.vm.NodeLayout;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code hpcvirt slurm …}: the node hooks Slurm runs (Prolog, Epilog) and the configuration lines an
 * administrator adds. The hooks read the job from Slurm's environment and act through the node's own
 * daemon ({@code $HPCVIRT_HOME}); see docs/slurm.md.
 */
@Command(name = "slurm", description = "Slurm integration: the node Prolog and Epilog of VSE jobs, and the lines to configure them.",
        subcommands = {SlurmCommand.Prolog.class, SlurmCommand.Epilog.class, SlurmCommand.Config.class, SlurmCommand.Reconcile.class,
                SlurmCommand.Predict.class, SlurmCommand.Check.class, SlurmCommand.Checkpoint.class, SlurmCommand.Checkpoints.class})
public final class SlurmCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code hpcvirt slurm prolog}. */
    @Command(name = "prolog", description = "Slurm Prolog: deploy the job's VSE on this node (exit 0 also when the deployment fails: "
            + "the job is cancelled with the reason, the node is not drained).")
    static final class Prolog implements java.util.concurrent.Callable<Integer> {
        @Option(names = "--policy", paramLabel = "FILE", description = "the VSE policy (default: $HPCVIRT_VSE_POLICY, else /etc/hpcvirt/vse-policy.yaml)")
        Path policy;

        @Override
        public Integer call() {
            java.util.Map<String, String> env = new java.util.HashMap<>(System.getenv());
            if (policy != null) {
                env.put(org.hpcvirt.vse.VseLoader.POLICY_ENV, policy.toAbsolutePath().toString());
            }
            return hook("prolog", env);
        }
    }

    /** {@code hpcvirt slurm epilog}. */
    @Command(name = "epilog", description = "Slurm Epilog: destroy the job's VMs on this node.")
    static final class Epilog implements java.util.concurrent.Callable<Integer> {
        @Override
        public Integer call() {
            return hook("epilog", System.getenv());
        }
    }

    /**
     * Runs {@code hook} in the node's daemon with this process's environment (the hook scripts of
     * {@code hpcvirt slurm config} do the same with jq and curl, without a JVM); prints its lines
     * and returns its exit status. The daemon not answering is a node fault: exit status 1.
     */
    private static int hook(String hook, java.util.Map<String, String> env) {
        SlurmJob job = SlurmJob.fromEnvironment(env);
        if ("prolog".equals(hook) && job.vse() == null) {
            return 0;
        }
        org.hpcvirt.slurm.HookResult r;
        try (DaemonClient daemon = DaemonClient.connect(NodeLayout.fromEnvironment())) {
            r = daemon.execute(new org.hpcvirt.api.Operation.SlurmHook(hook, org.hpcvirt.slurm.SlurmHooks.relevant(env)),
                    org.hpcvirt.slurm.HookResult.class);
        } catch (org.hpcvirt.api.HpcvirtException e) {
            System.err.println("hpcvirt " + hook + ": job " + job.id() + ": " + org.hpcvirt.api.HpcvirtException.chain(e));
            return 1;
        }
        r.log().forEach(System.err::println);
        System.err.println("hpcvirt " + hook + ": " + r.summary());
        return r.exitCode();
    }

    /** {@code hpcvirt slurm config}. */
    @Command(name = "config", description = "Print the slurm.conf and plugstack.conf lines, and the hook scripts, an administrator adds.")
    static final class Config implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Option(names = "--hooks", paramLabel = "DIR", defaultValue = "/etc/hpcvirt/slurm", description = "where the hook scripts go (default ${DEFAULT-VALUE})")
        Path hooks;
        @Option(names = "--plugin", paramLabel = "SO", defaultValue = "/usr/lib/hpcvirt/hpcvirt_vse.so", description = "the built SPANK plugin (default ${DEFAULT-VALUE})")
        Path plugin;
        @Option(names = "--hpcvirt", paramLabel = "PATH", defaultValue = "/usr/bin/hpcvirt", description = "the hpcvirt command on the nodes (default ${DEFAULT-VALUE})")
        Path hpcvirt;
        @Option(names = "--home", paramLabel = "DIR", defaultValue = "/var/lib/hpcvirt", description = "HPCVIRT_HOME of the node daemons (default ${DEFAULT-VALUE})")
        Path home;
        @Option(names = "--hook-client", paramLabel = "PATH", defaultValue = "/usr/lib/hpcvirt/hpcvirt-hook",
                description = "where slurm/hpcvirt-hook is installed on the nodes (default ${DEFAULT-VALUE})")
        Path hookClient;

        @Override
        public void run() {
            PrintWriter out = spec.commandLine().getOut();
            out.println("# slurm.conf (every node and the controller): the hooks, run on every allocated node at job start");
            out.println("Prolog=" + hooks.resolve("prolog"));
            out.println("Epilog=" + hooks.resolve("epilog"));
            out.println("PrologFlags=Alloc");
            out.println("PlugStackConfig=/etc/slurm/plugstack.conf");
            out.println();
            out.println("# /etc/slurm/plugstack.conf: --vse=FILE for sbatch, salloc and srun");
            out.println("# (build: gcc -Wall -shared -fPIC -o " + plugin + " slurm/spank/hpcvirt_vse.c)");
            out.println("# check=: sbatch --vse=FILE checks FILE against the policy at submission, on the user's terminal");
            out.println("required " + plugin + " check=" + hpcvirt);
            out.println();
            out.println("# the hooks hand the job to the node's daemon with " + hookClient + " (install -m 0755 slurm/hpcvirt-hook "
                    + hookClient + "; it needs jq and curl, and starts no JVM); '" + hpcvirt + " slurm " + "prolog|epilog' does the same, "
                    + "a JVM start slower");
            for (String hook : new String[] {"prolog", "epilog"}) {
                out.println("# " + hooks.resolve(hook) + " (mode 0755): jobs without a VSE cost nothing");
                out.println("#!/bin/sh");
                out.println("[ -n \"$SPANK_HPCVIRT_VSE\" ] || exit 0");
                out.println("HPCVIRT_HOME=" + home + " exec " + hookClient + " " + hook);
                out.println();
            }
            out.println("# /etc/hpcvirt/vse-policy.yaml: the administrator's constraints (docs/vse.md);");
            out.println("# /etc/hpcvirt/slurm.yaml: each node's daemon URL and TLS material, for 'hpcvirt job exec' (docs/slurm.md)");
            out.println("# and for the tunnels of network: private (the Prolog reads the nodes' addresses from it)");
            out.println("# and for the node watch: each daemon probes the next two nodes and sets a silent one DOWN (HPCVIRT_NODE_WATCH)");
            out.println();
            out.println("# slurm.conf, for jobs that come back restored after a node failure or a time-limit requeue:");
            out.println("# requeue batch jobs of failed nodes (or sbatch --requeue per job)");
            out.println("JobRequeue=1");
            out.println("# a requeued job waits cred_expire before it starts again (default 120 s; it must cover the Prolog): AuthInfo=...,cred_expire=10");
            out.println("# and then for the backfill scheduler's next pass (default every 30 s): SchedulerParameters=...,bf_interval=1");
            out.flush();
        }
    }

    /** {@code hpcvirt slurm reconcile}. */
    @Command(name = "reconcile", description = "Destroy this node's VMs of jobs Slurm no longer runs here (the Prolog does it too, at every VSE job's start).")
    static final class Reconcile implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Option(names = "--node", paramLabel = "NODE", description = "this node's Slurm name (default: $SLURMD_NODENAME, else the host name)")
        String node;

        @Override
        public void run() {
            String me = node != null ? node : System.getenv("SLURMD_NODENAME") != null ? System.getenv("SLURMD_NODENAME") : JobCommand.hostName();
            NodeLayout layout = NodeLayout.fromEnvironment();
            try (DaemonClient daemon = DaemonClient.connect(layout)) {
                java.util.List<String> gone = new VseDeployer(daemon, layout.home(), SlurmCommands.REAL, HostLimits.detect(), System.err)
                        .reconcile(me);
                spec.commandLine().getOut().println(gone.isEmpty() ? "no VM of an ended job on " + me
                        : "destroyed on " + me + ": " + String.join(", ", gone));
                spec.commandLine().getOut().flush();
            }
        }
    }

    /** The daemons of the cluster's node configuration, reached with the TLS material of {@code self} (default: this host's name). */
    static org.hpcvirt.slurm.ClusterDaemons daemons(String self) {
        JobCommand.quietJetty();
        return org.hpcvirt.slurm.ClusterDaemons.of(org.hpcvirt.slurm.ClusterNodes.inForce(), self != null ? self : JobCommand.hostName());
    }

    /** {@code hpcvirt slurm predict NODE --in D}. */
    @Command(name = "predict", description = "A predicted node failure: if trusted, drain the node in Slurm and live-migrate the VMs of its "
            + "VSE jobs to a spare node of each job's own allocation (exit 0 when no job VM is left on it).")
    static final class Predict implements java.util.concurrent.Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @CommandLine.Parameters(index = "0", paramLabel = "NODE", description = "the Slurm node expected to fail")
        String node;
        @Option(names = "--in", required = true, paramLabel = "D", description = "lead time until the failure, e.g. 30s, 5m")
        String in;
        @Option(names = "--confidence", defaultValue = "1.0", paramLabel = "C",
                description = "predictor confidence 0..1; below " + org.hpcvirt.slurm.JobEvacuation.TRUST + " nothing is done (default ${DEFAULT-VALUE})")
        double confidence;
        @Option(names = "--max-downtime", defaultValue = "10", paramLabel = "MS",
                description = "longest final pause of each live migration, ms (default ${DEFAULT-VALUE})")
        long maxDowntime;
        @Option(names = "--as", paramLabel = "NODE", description = "the node whose TLS material to use (default: this host's name)")
        String self;

        @Override
        public Integer call() {
            java.time.Duration lead = org.hpcvirt.api.Durations.parse(in, "--in");
            if (maxDowntime < 1 || maxDowntime > 60_000) {
                throw org.hpcvirt.api.HpcvirtException.invalid("--max-downtime must be 1..60000 ms, not " + maxDowntime);
            }
            long t0 = System.nanoTime();
            org.hpcvirt.slurm.JobEvacuation.Outcome o;
            try (org.hpcvirt.slurm.ClusterDaemons d = daemons(self)) {
                o = new org.hpcvirt.slurm.JobEvacuation(SlurmCommands.REAL, d, maxDowntime).predicted(node, lead, confidence);
            }
            PrintWriter out = spec.commandLine().getOut();
            o.lines().forEach(out::println);
            out.printf(java.util.Locale.ROOT, "%s: %d VM(s) moved in %.2f s%s%n", node, o.moves().size(), (System.nanoTime() - t0) / 1e9,
                    o.allSafe() ? "" : "; job VMs are left on " + node);
            out.flush();
            return o.allSafe() ? 0 : 1;
        }
    }

    /** {@code hpcvirt slurm check}. */
    @Command(name = "check", description = "Compare Slurm's view (nodes, jobs) with hpcvirt's (each daemon's VMs and deployment records): "
            + "one line per disagreement, exit 0 when there is none, 1 otherwise.")
    static final class Check implements java.util.concurrent.Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Option(names = "--json", description = "print a JSON object (clean, problems) instead of lines")
        boolean json;
        @Option(names = "--as", paramLabel = "NODE", description = "the node whose TLS material to use (default: this host's name)")
        String self;

        @Override
        public Integer call() throws Exception {
            java.util.List<org.hpcvirt.slurm.ClusterCheck.Problem> problems;
            java.util.Set<String> nodes;
            try (org.hpcvirt.slurm.ClusterDaemons d = daemons(self)) {
                nodes = d.nodes();
                problems = org.hpcvirt.slurm.ClusterCheck.run(SlurmCommands.REAL, d);
            }
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
                m.put("clean", problems.isEmpty());
                m.put("nodes", new java.util.ArrayList<>(nodes));
                m.put("problems", problems);
                out.println(new com.fasterxml.jackson.databind.ObjectMapper().enable(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT)
                        .writeValueAsString(m));
            } else if (problems.isEmpty()) {
                out.println("clean: Slurm and hpcvirt agree on " + nodes.size() + " node(s)");
            } else {
                problems.forEach(p -> out.println(p.message()));
            }
            out.flush();
            return problems.isEmpty() ? 0 : 1;
        }
    }

    /** Asks the daemon of {@code nodes}' first node, as node {@code self}, for a checkpoint set of {@code job}. */
    static org.hpcvirt.slurm.CheckpointSet checkpointJob(org.hpcvirt.slurm.ClusterNodes cluster, String job, java.util.List<String> nodes,
            String self) {
        if (nodes.isEmpty()) {
            throw org.hpcvirt.api.HpcvirtException.invalid("job " + job + " has no nodes (is it running?)");
        }
        try (DaemonClient c = cluster.client(nodes.get(0), self)) {
            return c.execute(new org.hpcvirt.api.Operation.CheckpointJob(job, nodes, "request", null), org.hpcvirt.slurm.CheckpointSet.class);
        }
    }

    static void printSet(PrintWriter out, org.hpcvirt.slurm.CheckpointSet set) {
        out.println(set.label() + " (" + set.reason() + ", " + set.created() + "): " + set.members().size() + " VM(s) on "
                + String.join(", ", set.nodes()) + ", paused " + set.pauseMs() + " ms");
        for (org.hpcvirt.slurm.CheckpointSet.Member m : set.members()) {
            out.println("  " + m.vm() + " on " + m.node() + ": checkpoint " + m.checkpoint());
        }
        out.flush();
    }

    /** The running job's nodes as squeue says. */
    static java.util.List<String> nodesOf(String job) {
        SlurmCommands.Result r = SlurmCommands.REAL.run(java.util.List.of("squeue", "-h", "-j", job, "-t", "RUNNING", "-o", "%N"));
        if (r.exitCode() != 0) {
            throw org.hpcvirt.api.HpcvirtException.invalid("squeue cannot tell the nodes of job " + job + ": " + r.output().strip());
        }
        String list = r.output().strip();
        if (list.isEmpty()) {
            throw org.hpcvirt.api.HpcvirtException.notFound("running job " + job);
        }
        return org.hpcvirt.slurm.HostList.expand(list);
    }

    /** {@code hpcvirt slurm checkpoint JOB}. */
    @Command(name = "checkpoint", description = "Checkpoint every VM of a running job on all its nodes at one consistent point (administrators; "
            + "needs the cluster's node configuration and a node's TLS material, see --as).")
    static final class Checkpoint implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @CommandLine.Parameters(paramLabel = "JOB", description = "the Slurm job id")
        String job;
        @Option(names = "--as", paramLabel = "NODE", description = "the node whose TLS material to use (default: $SLURMD_NODENAME, else the host name)")
        String as;

        @Override
        public void run() {
            JobCommand.quietJetty();
            String self = as != null ? as : System.getenv("SLURMD_NODENAME") != null ? System.getenv("SLURMD_NODENAME") : JobCommand.hostName();
            printSet(spec.commandLine().getOut(), checkpointJob(org.hpcvirt.slurm.ClusterNodes.inForce(), job, nodesOf(job), self));
        }
    }

    /** {@code hpcvirt slurm checkpoints JOB}. */
    @Command(name = "checkpoints", description = "A job's checkpoint sets in the shared store and the one a restart would use.")
    static final class Checkpoints implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @CommandLine.Parameters(paramLabel = "JOB", description = "the Slurm job id")
        String job;

        @Override
        public void run() {
            NodeLayout layout = NodeLayout.fromEnvironment();
            PrintWriter out = spec.commandLine().getOut();
            try (DaemonClient daemon = DaemonClient.connect(layout)) {
                org.hpcvirt.slurm.CheckpointSet[] all = daemon.execute(new org.hpcvirt.api.Operation.ListCheckpointSets(job),
                        org.hpcvirt.slurm.CheckpointSet[].class);
                org.hpcvirt.slurm.CheckpointSet.Restorable r = daemon.execute(new org.hpcvirt.api.Operation.RestorableCheckpointSet(job),
                        org.hpcvirt.slurm.CheckpointSet.Restorable.class);
                for (org.hpcvirt.slurm.CheckpointSet s : all) {
                    out.println("set " + s.seq() + "  " + s.created() + "  " + s.reason() + "  " + s.members().size() + " VM(s) on "
                            + String.join(",", s.nodes()) + "  paused " + s.pauseMs() + " ms"
                            + (r.set() != null && r.set().seq() == s.seq() ? "  <- restart restores this one" : ""));
                }
                if (all.length == 0) {
                    out.println("job " + job + " has no checkpoint set");
                }
                for (String sk : r.skipped()) {
                    out.println("not good: " + sk);
                }
                out.flush();
            }
        }
    }
}
