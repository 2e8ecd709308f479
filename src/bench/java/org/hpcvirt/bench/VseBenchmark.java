package org.hpcvirt.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.hpcvirt.daemon.DaemonClient;

/**
 * {@code hpcvirt bench vse}: on a real namespaced Slurm cluster ({@code scripts/slurm-cluster.sh up N}),
 * the time from submission to a job script's first line and to its first command having run on
 * every node, for the same N-node job (a) without a VSE ({@code sbatch}, the command is
 * {@code srun cat /proc/uptime} on every node), (b) with a VSE booted cold and (c) with a VSE restored
 * from the post-boot snapshot ({@code hpcvirt submit}, the command is {@code hpcvirt job exec --all --
 * cat /proc/uptime} in the VMs), interleaved round by round; plus, per round, one VM boot through node
 * 1's daemon and one VM booted on every node at once (as a job's Prologs do). Both ends are on the host's clock: the submission instant is taken in this process just
 * before the submitting command starts, the script prints {@code date +%s.%N} (the namespaces share
 * the host's clock). The cluster is brought up by {@link #run} and always taken down (also from a
 * shutdown hook on Ctrl-C). Needs root. Not thread-safe; one run per instance.
 */
public final class VseBenchmark {
    /** Variant names as printed. */
    public static final String BARE = "bare Slurm (no VSE)";
    public static final String COLD = "VSE, cold boot";
    public static final String SNAPSHOT = "VSE, snapshot";

    private static final Pattern SUBMITTED = Pattern.compile("Submitted batch job ([0-9]+)");
    private static final Set<String> ACTIVE = Set.of("PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED",
            "REQUEUED", "RESIZING", "SIGNALING", "STAGE_OUT");
    private static final Duration JOB_DEADLINE = Duration.ofSeconds(240);
    private static final Duration SCRIPT_DEADLINE = Duration.ofSeconds(300);

    private final Path script;
    private final int runs;
    private final int nodes;
    private final Path out;
    private final PrintWriter log;
    private Path dir;
    private final BenchCluster bench;
    private String policy;

    /**
     * @param script the cluster script ({@code scripts/slurm-cluster.sh}), absolute
     * @param runs jobs of each variant, at least 1
     * @param nodes compute nodes of the cluster and of each job, 1..50
     * @param out directory for the job scripts, their outputs, {@code result.txt} and the cluster's logs ({@code cluster-log}); created if missing
     * @param log where progress and the table go
     */
    public VseBenchmark(Path script, int runs, int nodes, Path out, PrintWriter log) {
        this.script = script;
        this.runs = runs;
        this.nodes = nodes;
        this.out = out;
        this.log = log;
        this.bench = new BenchCluster(script, out, log, "bench vse");
    }

    /** Brings the cluster up, runs the jobs, prints the table (also to {@code OUT/result.txt}) and takes the cluster down. */
    public void run() throws IOException {
        Files.createDirectories(out);
        dir = bench.freshDir("hvb");
        Thread hook = new Thread(bench::down, "bench-vse-down");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            log.printf("bringing up a %d-node Slurm cluster in %s%n", nodes, dir);
            log.flush();
            bench.run("up", Integer.toString(nodes), "--dir", dir.toString());
            policy = Files.readString(dir.resolve("etc/vse-policy.yaml"));
            VseReport report = measure();
            StringWriter table = new StringWriter();
            report.print(new PrintWriter(table, true), BARE, COLD, SNAPSHOT);
            log.println();
            log.print(table);
            log.flush();
            Files.writeString(out.resolve("result.txt"), table.toString());
        } finally {
            bench.down();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs (or ran) anyway
            }
        }
    }

    private VseReport measure() throws IOException {
        Path vse = Files.writeString(out.resolve("bench.vse.yaml"), "image: default\nvm:\n  cpus: 1\n  memory: 128M\nlabels:\n  app: bench-vse\n");
        Path bare = job("bare.sh", "srun -N" + nodes + " --ntasks-per-node=1 cat /proc/uptime > /dev/null");
        Path inVms = job("vse.sh", "hpcvirt job exec --all -- cat /proc/uptime > /dev/null");
        VseReport report = new VseReport();
        // the first job under 'deployment: snapshot' boots cold and takes the post-boot checkpoint the
        // later ones restore: a one-time cost per image and shape, shown but not counted
        long[] warm = submitAndWait("snapshot-warmup", vse, inVms, true);
        log.printf("first job under 'deployment: snapshot' (cold boot + post-boot checkpoint, not counted): %.2f s to the script's 1st line%n",
                (warm[1] - warm[0]) / 1e9);
        for (int r = 1; r <= runs; r++) {
            record(report, BARE, submitAndWait("bare-" + r, null, bare, false));
            record(report, COLD, submitAndWait("cold-" + r, vse, inVms, false));
            record(report, SNAPSHOT, submitAndWait("snapshot-" + r, vse, inVms, true));
            double boot = vmBoot(r);
            report.addVmBoot(boot);
            double both = parallelBoot(r, false);
            report.addParallelBoot(nodes, both);
            double pinned = parallelBoot(r, true);
            report.addPinnedParallelBoot(nodes, pinned);
            log.printf("round %d/%d: bare %.2f s, cold %.2f s, snapshot %.2f s to the script's 1st line; one VM boot %.2f s, %d at once %.2f s"
                    + " (pinned %.2f s)%n", r, runs, last(report, BARE), last(report, COLD), last(report, SNAPSHOT), boot, nodes, both, pinned);
            log.flush();
        }
        return report;
    }

    private static double last(VseReport report, String variant) {
        List<VseReport.Sample> s = report.samples(variant);
        return s.get(s.size() - 1).toScriptS();
    }

    private static void record(VseReport report, String variant, long[] t) {
        report.add(variant, t[0], new VseReport.ScriptTimes(t[1], t[2]));
    }

    private Path job(String name, String firstCommand) throws IOException {
        Path p = out.resolve(name);
        Files.writeString(p, "#!/bin/sh\necho \"" + VseReport.START + " $(date +%s.%N)\"\n" + firstCommand + " || exit 1\necho \""
                + VseReport.DONE + " $(date +%s.%N)\"\n");
        p.toFile().setExecutable(true);
        return p;
    }

    /** Submits one job (with {@code vse} through {@code hpcvirt submit}, else {@code sbatch}), waits for its end; {submit, start, done} ns. */
    private long[] submitAndWait(String name, Path vse, Path jobScript, boolean snapshot) throws IOException {
        Path output = out.resolve(name + ".out");
        Files.deleteIfExists(output);
        if (vse != null) {
            Files.writeString(dir.resolve("etc/vse-policy.yaml"), snapshot ? policy + "deployment: snapshot\n" : policy);
        }
        List<String> cmd = new ArrayList<>(List.of("run", "--dir", dir.toString(), "--"));
        if (vse == null) {
            cmd.add("sbatch");
        } else {
            cmd.addAll(List.of("hpcvirt", "submit", vse.toString()));
        }
        cmd.addAll(List.of("-N" + nodes, "--ntasks-per-node=1", "-J", "bench-" + name, "-o", output.toString()));
        if (vse != null) {
            cmd.add("--");
        }
        cmd.add(jobScript.toString());
        long submit = epochNanosNow();
        String said = bench.run(cmd.toArray(String[]::new));
        Matcher m = SUBMITTED.matcher(said);
        if (!m.find()) {
            throw new IllegalStateException(name + ": no job id in the submission's output: " + said.strip());
        }
        String id = m.group(1);
        String state = awaitEnd(id);
        if (!state.equals("COMPLETED")) {
            String why = bench.run("run", "--dir", dir.toString(), "--", "squeue", "-h", "--jobs=" + id, "--states=all", "-o", "%k %r");
            throw new IllegalStateException(name + ": job " + id + " ended " + state + " (" + why.strip() + "); output "
                    + output + ", logs " + dir.resolve("log"));
        }
        VseReport.ScriptTimes t = VseReport.parseScript(Files.exists(output) ? Files.readString(output) : "", output.toString());
        return new long[] {submit, t.startNanos(), t.doneNanos()};
    }

    private String awaitEnd(String id) {
        long deadline = System.nanoTime() + JOB_DEADLINE.toNanos();
        while (System.nanoTime() < deadline) {
            String s = bench.run("run", "--dir", dir.toString(), "--", "squeue", "-h", "--jobs=" + id, "--states=all", "-o", "%T").strip();
            if (!s.isEmpty() && !ACTIVE.contains(s)) {
                return s;
            }
            sleep(Duration.ofMillis(300));
        }
        throw new IllegalStateException("job " + id + " did not end within " + JOB_DEADLINE.toSeconds() + " s; logs " + dir.resolve("log"));
    }

    /** One VM of the jobs' shape started through node 1's daemon: start request to first heartbeat, s. */
    private double vmBoot(int round) {
        String name = "bench-boot-" + round;
        try (DaemonClient c = new DaemonClient(dir.resolve("hvs-n1/hpcvirtd.sock"))) {
            c.define("name: " + name + "\nbackend: qemu\ncpus: 1\nmemory: 128M\nimage: default\n", "bench-vse", null);
            try {
                long t0 = System.nanoTime();
                c.start(name, true, Duration.ofSeconds(120));
                return (System.nanoTime() - t0) / 1e9;
            } finally {
                c.destroy(name);
            }
        }
    }

    /**
     * One VM of the jobs' shape on every node at once, as a job's Prologs start them, and if
     * {@code pinned} each pinned to the host core of its node's CPU 0 (the test cluster's
     * {@code HPCVIRT_CPU_MAP} rotates the host's cores by node: node i's CPU 0 is core i-1): start
     * requests to the last first heartbeat, s.
     */
    private double parallelBoot(int round, boolean pinned) {
        List<DaemonClient> clients = new ArrayList<>();
        String name = (pinned ? "bench-pinned-" : "bench-both-") + round;
        int cores = Runtime.getRuntime().availableProcessors();
        try {
            for (int i = 1; i <= nodes; i++) {
                DaemonClient c = new DaemonClient(dir.resolve("hvs-n" + i + "/hpcvirtd.sock"));
                clients.add(c);
                c.define("name: " + name + "\nbackend: qemu\ncpus: 1\nmemory: 128M\nimage: default\n"
                        + (pinned ? "pinning: [" + (i - 1) % cores + "]\n" : ""), "bench-vse", null);
            }
            long t0 = System.nanoTime();
            List<java.util.concurrent.CompletableFuture<Void>> starts = clients.stream()
                    .map(c -> java.util.concurrent.CompletableFuture.runAsync(() -> c.start(name, true, Duration.ofSeconds(120)))).toList();
            java.util.concurrent.CompletableFuture.allOf(starts.toArray(java.util.concurrent.CompletableFuture[]::new)).join();
            return (System.nanoTime() - t0) / 1e9;
        } finally {
            for (DaemonClient c : clients) {
                try (c) {
                    c.destroy(name);
                }
            }
        }
    }

    private static long epochNanosNow() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

}
