package org.hpcvirt.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.hpcvirt.daemon.DaemonClient;
import org.hpcvirt.vm.VmStatus;

/**
 * {@code hpcvirt bench recovery --case predicted}: on a real namespaced 3-node Slurm cluster
 * ({@code scripts/slurm-cluster.sh up 3}), a job of 3 nodes with {@code ft: {proactive: true, spares: 1}}
 * (one 128M VM on each of hvs-n1 and hvs-n2, hvs-n3 its spare) gets a trusted prediction for hvs-n1
 * ({@code hpcvirt slurm predict}); measured per round: the whole command (JVM, drain, records, the
 * live migration), the evacuation as the command times it, the migration request, QEMU's downtime and
 * the guest pause the daemon measured, and whether the guest's heartbeat sequence went on. The node is
 * resumed and the job cancelled after each round. The cluster is brought up by {@link #run} and always
 * taken down (also from a shutdown hook on Ctrl-C). Needs root. Not thread-safe; one run per instance.
 */
public final class PredictedRecoveryBenchmark {
    /** Goal for the guest pause of an evacuation. */
    public static final double GOAL_PAUSE_MS = 50;

    private static final Pattern SUBMITTED = Pattern.compile("Submitted batch job ([0-9]+)");
    private static final Pattern MIGRATED = Pattern.compile(
            "live-migrated \\S+ -> \\S+ \\(spare of the job\\): guest paused ([0-9]+) ms \\(QEMU downtime ([0-9]+) ms\\), ([0-9]+) ms in all");
    private static final Pattern MOVED = Pattern.compile("([0-9]+) VM\\(s\\) moved in ([0-9.]+) s");
    private static final Duration DEADLINE = Duration.ofSeconds(240);
    private static final Duration SCRIPT_DEADLINE = Duration.ofSeconds(300);

    private final Path script;
    private final int runs;
    private final long maxDowntimeMs;
    private final Path out;
    private final PrintWriter log;
    private Path dir;
    private final BenchCluster bench;

    /** One round's measurements. */
    public record Round(double commandS, double evacuationS, double migrationMs, double downtimeMs, double pauseMs, long seqBefore,
            long seqAfter) {
    }

    /**
     * @param script        the cluster script ({@code scripts/slurm-cluster.sh}), absolute
     * @param runs          rounds, at least 1
     * @param maxDowntimeMs the migrations' downtime limit ({@code --max-downtime} of {@code hpcvirt slurm predict})
     * @param out           directory for the VSE file, the job script, {@code result.txt} and the cluster's logs; created if missing
     * @param log           where progress and the table go
     */
    public PredictedRecoveryBenchmark(Path script, int runs, long maxDowntimeMs, Path out, PrintWriter log) {
        this.script = script;
        this.runs = runs;
        this.maxDowntimeMs = maxDowntimeMs;
        this.out = out;
        this.log = log;
        this.bench = new BenchCluster(script, out, log, "bench recovery");
    }

    /** Brings the cluster up, runs the rounds, prints the table (also to {@code OUT/result.txt}) and takes the cluster down. */
    public List<Round> run() throws IOException {
        Files.createDirectories(out);
        dir = bench.freshDir("hvr");
        Thread hook = new Thread(bench::down, "bench-recovery-down");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            log.printf("bringing up a 3-node Slurm cluster in %s%n", dir);
            log.flush();
            bench.run("up", "3", "--dir", dir.toString());
            Path vse = Files.writeString(out.resolve("predicted.vse.yaml"),
                    "image: default\nvm:\n  cpus: 1\n  memory: 128M\nft:\n  proactive: true\n  spares: 1\nlabels:\n  app: bench-recovery\n");
            Path job = out.resolve("predicted.sh");
            Files.writeString(job, "#!/bin/sh\n#SBATCH -N3\nsleep 600\n");
            job.toFile().setExecutable(true);
            List<Round> rounds = new ArrayList<>();
            for (int r = 1; r <= runs; r++) {
                Round round = round(vse, job);
                rounds.add(round);
                log.printf(Locale.ROOT, "round %d/%d: command %.2f s, evacuation %.2f s, migration %.0f ms, QEMU downtime %.0f ms,"
                        + " guest paused %.0f ms, heartbeat #%d -> #%d%n", r, runs, round.commandS(), round.evacuationS(),
                        round.migrationMs(), round.downtimeMs(), round.pauseMs(), round.seqBefore(), round.seqAfter());
                log.flush();
            }
            String table = table(rounds, maxDowntimeMs);
            log.println();
            log.print(table);
            log.flush();
            Files.writeString(out.resolve("result.txt"), table);
            return rounds;
        } finally {
            bench.down();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs (or ran) anyway
            }
        }
    }

    private Round round(Path vse, Path job) {
        String said = slurm("hpcvirt", "submit", vse.toString(), "-o", "/dev/null", "--", job.toString());
        Matcher m = SUBMITTED.matcher(said);
        if (!m.find()) {
            throw new IllegalStateException("no job id in the submission's output: " + said.strip());
        }
        String id = m.group(1);
        String vm = "j" + id + "-hvs-n1-0";
        long seqBefore;
        try (DaemonClient n1 = new DaemonClient(dir.resolve("hvs-n1/hpcvirtd.sock"));
                DaemonClient n2 = new DaemonClient(dir.resolve("hvs-n2/hpcvirtd.sock"));
                DaemonClient n3 = new DaemonClient(dir.resolve("hvs-n3/hpcvirtd.sock"))) {
            long deadline = System.nanoTime() + DEADLINE.toNanos();
            while (!(heartbeating(n1, vm) && heartbeating(n2, "j" + id + "-hvs-n2-0"))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("job " + id + "'s VMs were not running within " + DEADLINE.toSeconds() + " s; logs "
                            + dir.resolve("log"));
                }
                sleep(Duration.ofMillis(300));
            }
            seqBefore = n1.status(vm).lastHeartbeatSeq();
            long t0 = System.nanoTime();
            String text = slurm("hpcvirt", "slurm", "predict", "hvs-n1", "--in", "60s", "--confidence", "0.95",
                    "--max-downtime", Long.toString(maxDowntimeMs), "--as", "hvs-n2");
            double commandS = (System.nanoTime() - t0) / 1e9;
            Matcher mig = MIGRATED.matcher(text);
            Matcher moved = MOVED.matcher(text);
            if (!mig.find() || !moved.find()) {
                throw new IllegalStateException("hpcvirt slurm predict did not move the VM: " + text.strip());
            }
            long seqAfter = seqBefore;
            deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (seqAfter <= seqBefore && System.nanoTime() < deadline) {
                seqAfter = n3.status(vm).lastHeartbeatSeq();
                sleep(Duration.ofMillis(200));
            }
            Round r = new Round(commandS, Double.parseDouble(moved.group(2)), Double.parseDouble(mig.group(3)),
                    Double.parseDouble(mig.group(2)), Double.parseDouble(mig.group(1)), seqBefore, seqAfter);
            slurm("scancel", id);
            awaitEnd(id);
            slurm("scontrol", "update", "nodename=hvs-n1", "state=resume");
            return r;
        }
    }

    private static boolean heartbeating(DaemonClient c, String vm) {
        return c.list().stream().filter(v -> v.name().equals(vm)).anyMatch(v -> v.state() == org.hpcvirt.api.VmState.RUNNING
                && v.lastHeartbeatAgeMs() >= 0);
    }

    /** The table of {@code rounds}: median (min-max) of each measurement, and the goal. */
    public static String table(List<Round> rounds, long maxDowntimeMs) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "predicted failure -> evacuation to the job's spare, %d round(s), downtime limit %d ms%n",
                rounds.size(), maxDowntimeMs));
        b.append(String.format(Locale.ROOT, "%-44s %s%n", "measurement", "median (min-max)"));
        row(b, "hpcvirt slurm predict, whole command (s)", rounds.stream().map(Round::commandS).toList(), "%.2f");
        row(b, "evacuation as the command times it (s)", rounds.stream().map(Round::evacuationS).toList(), "%.2f");
        row(b, "live migration request (ms)", rounds.stream().map(Round::migrationMs).toList(), "%.0f");
        row(b, "QEMU downtime (ms)", rounds.stream().map(Round::downtimeMs).toList(), "%.0f");
        row(b, "guest pause, daemon's upper bound (ms)", rounds.stream().map(Round::pauseMs).toList(), "%.0f");
        double worst = Stats.max(rounds.stream().map(Round::pauseMs).toList());
        boolean beats = rounds.stream().allMatch(r -> r.seqAfter() > r.seqBefore());
        b.append(String.format(Locale.ROOT, "heartbeat sequence went on after every move: %s%n", beats ? "yes" : "NO"));
        b.append(String.format(Locale.ROOT, "goal: guest pause <= %.0f ms: %s (worst %.0f ms)%n", GOAL_PAUSE_MS,
                worst <= GOAL_PAUSE_MS ? "met" : "not met", worst));
        return b.toString();
    }

    private static void row(StringBuilder b, String what, List<Double> xs, String fmt) {
        b.append(String.format(Locale.ROOT, "%-44s " + fmt + " (" + fmt + "-" + fmt + ")%n", what, Stats.median(xs), Stats.min(xs), Stats.max(xs)));
    }

    private void awaitEnd(String id) {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (System.nanoTime() < deadline) {
            String s = slurm("squeue", "-h", "--jobs=" + id, "--states=all", "-o", "%T").strip();
            if (!s.isEmpty() && !s.equals("RUNNING") && !s.equals("COMPLETING") && !s.equals("PENDING") && !s.equals("CONFIGURING")) {
                return;
            }
            sleep(Duration.ofMillis(300));
        }
        throw new IllegalStateException("job " + id + " did not end within " + DEADLINE.toSeconds() + " s");
    }

    private String slurm(String... command) {
        List<String> args = new ArrayList<>(List.of("run", "--dir", dir.toString(), "--"));
        args.addAll(List.of(command));
        return bench.run(args.toArray(String[]::new));
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
