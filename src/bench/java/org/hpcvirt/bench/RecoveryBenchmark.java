package org.hpcvirt.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.hpcvirt.api.Json;
import org.hpcvirt.api.VmState;
import org.hpcvirt.daemon.DaemonClient;
import org.hpcvirt.slurm.CheckpointSet;
import org.hpcvirt.vm.VmStatus;

/**
 * {@code hpcvirt bench recovery}: on a real namespaced Slurm cluster ({@code scripts/slurm-cluster.sh
 * up N}, SlurmdTimeout=10), (a) a node's death (its slurmd, hpcvirt daemon and QEMU killed) to the
 * job's guest running again, restored from the job's last checkpoint set on another node, split
 * into the detection (kill → slurmctld requeues the job: after hpcvirt's node watch set the node
 * DOWN, or Slurm's own ping found it, whichever came first; the row says which), Slurm's requeue and allocation
 * (→ slurmctld starts the job again) and hpcvirt's restore (→ the guest's first heartbeat after the
 * checkpoint's, seen through the new node's daemon); (c) the cost of the time-limit checkpoint
 * (the set's pause, the set to the requeue, the requeue to the restored guest). Slurm's instants
 * are the millisecond timestamps of slurmctld's log, the others this process's; the namespaces share
 * the host's clock. One node dies per round, so there are N-1 rounds of (a). The cluster is always
 * taken down (also from a shutdown hook). Needs root. Not thread-safe; one run per instance.
 */
public final class RecoveryBenchmark {
    private static final Duration DEADLINE = Duration.ofSeconds(240);
    private static final Pattern LOG_TIME = Pattern.compile("^\\[([0-9T:.-]+)\\] ");

    private final Path script;
    private final int nodes;
    private final Path out;
    private final PrintWriter log;
    private Path dir;
    private final BenchCluster bench;
    private final List<String> alive = new ArrayList<>();

    /**
     * @param script the cluster script, absolute
     * @param nodes  compute nodes (2..10)
     * @param out    where the result and the cluster's logs go
     * @param log    progress and the table
     */
    public RecoveryBenchmark(Path script, int nodes, Path out, PrintWriter log) {
        this.script = script;
        this.nodes = nodes;
        this.out = out;
        this.log = log;
        this.bench = new BenchCluster(script, out, log, "bench recovery");
    }

    /** Brings the cluster up, measures, prints the table (also to {@code OUT/result.txt}), takes the cluster down. */
    public void run() throws IOException {
        Files.createDirectories(out);
        dir = bench.freshDir("hvr");
        Thread hook = new Thread(bench::down, "bench-recovery-down");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            log.printf("bringing up a %d-node Slurm cluster in %s%n", nodes, dir);
            log.flush();
            bench.run("up", Integer.toString(nodes), "--dir", dir.toString());
            for (int i = 1; i <= nodes; i++) {
                alive.add("hvs-n" + i);
            }
            String policy = Files.readString(dir.resolve("etc/vse-policy.yaml"));
            Files.writeString(dir.resolve("vse.yaml"), "image: default\nvm:\n  memory: 128M\n");
            Files.writeString(dir.resolve("job.sh"), "#!/bin/sh\nsleep 3600\n");
            dir.resolve("job.sh").toFile().setExecutable(true);
            StringBuilder table = new StringBuilder();
            table.append(String.format(Locale.ROOT, "%-34s %10s %12s %10s %10s%n", "case", "detection", "requeue+alloc", "restore",
                    "total"));

            // (c) time limit: checkpoint set shortly before the limit, requeue, restore
            Files.writeString(dir.resolve("etc/vse-policy.yaml"), policy.replace("    onViolation: clamp\n",
                    "    onViolation: clamp\n    onTimeLimit: checkpoint-requeue\n    timeLimitMargin: 40s\n"));
            String id = submit("-t", "1");
            String first = awaitGuest(id, -1, null);
            Path setFile = dir.resolve("store/jobs/" + id + "/set-1.json");
            await(() -> Files.exists(setFile), "the time-limit checkpoint set of job " + id);
            CheckpointSet set = Json.mapper().readValue(setFile.toFile(), CheckpointSet.class);
            Files.writeString(dir.resolve("etc/vse-policy.yaml"), policy);
            long requeued = logInstant("Requeuing JobId=" + id + "\\b", 1);
            long started = logInstant("(Started|Allocate) JobId=" + id + "\\b", 2);
            String again = awaitGuest(id, -1, set);
            long running = System.currentTimeMillis();
            long setToRequeue = requeued - set.created().toEpochMilli();
            table.append(String.format(Locale.ROOT, "%-34s %10s %12.1f s %8.1f s %8.1f s%n", "(c) time limit, 1 VM (" + first + "→" + again + ")",
                    "-", (started - requeued) / 1e3, (running - started) / 1e3, (running - set.created().toEpochMilli()) / 1e3));
            table.append(String.format(Locale.ROOT, "    set: guest paused %d ms; set written → requeue %.1f s%n", set.pauseMs(),
                    setToRequeue / 1e3));
            bench.run("run", "--dir", dir.toString(), "--", "scancel", id);
            log.print(table);
            log.flush();

            // (a) node death, one node per round
            for (int round = 1; round < nodes; round++) {
                String jid = submit();
                String node = awaitGuest(jid, -1, null);
                String via = alive.stream().filter(n -> !n.equals(node)).findFirst().orElseThrow();
                bench.run("run", "--dir", dir.toString(), "--", "hpcvirt", "slurm", "checkpoint", jid, "--as", via);
                CheckpointSet s = Json.mapper().readValue(dir.resolve("store/jobs/" + jid + "/set-1.json").toFile(), CheckpointSet.class);
                long kill = System.currentTimeMillis();
                int killed = killNode(Integer.parseInt(node.substring("hvs-n".length())));
                alive.remove(node);
                long req = logInstant("requeue job JobId=" + jid + " due to failure", 1);
                long start = logInstant("(Started|Allocate) JobId=" + jid + "\\b", 2);
                String to = awaitGuest(jid, Integer.parseInt(node.substring("hvs-n".length())), s);
                long run = System.currentTimeMillis();
                table.append(String.format(Locale.ROOT, "%-34s %8.1f s %10.1f s %8.1f s %8.1f s%n",
                        "(a) node death " + round + " (" + node + "→" + to + ", " + killed + " procs)", (req - kill) / 1e3,
                        (start - req) / 1e3, (run - start) / 1e3, (run - kill) / 1e3));
                String reason = bench.run("run", "--dir", dir.toString(), "--", "sinfo", "-h", "-N", "-n", node, "-o", "%E").strip();
                table.append("    ").append(node).append(" DOWN: ").append(reason.isEmpty() ? "(no reason)" : reason).append('\n');
                bench.run("run", "--dir", dir.toString(), "--", "scancel", jid);
                log.printf("round %d: %s", round, table.substring(table.lastIndexOf("(a)")));
                log.flush();
            }
            log.println();
            log.print(table);
            log.flush();
            Files.writeString(out.resolve("result.txt"), table.toString());
        } finally {
            bench.down();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs anyway
            }
        }
    }

    private String submit(String... extra) {
        List<String> cmd = new ArrayList<>(List.of("run", "--dir", dir.toString(), "--", "sbatch", "--parsable", "--vse=" + dir.resolve("vse.yaml"),
                "-N1", "--requeue", "-o", "/dev/null"));
        cmd.addAll(List.of(extra));
        cmd.add(dir.resolve("job.sh").toString());
        return bench.run(cmd.toArray(String[]::new)).strip().split(";")[0];
    }

    /**
     * Waits until job {@code id}'s VM runs on a node other than {@code not} with a heartbeat newer than
     * {@code after}'s (restored), or any heartbeat; returns the node.
     */
    private String awaitGuest(String id, int not, CheckpointSet after) throws IOException {
        long seq = -1;
        if (after != null) {
            seq = Json.mapper().readTree(dir.resolve("store/" + after.members().get(0).checkpoint() + "/manifest.json").toFile())
                    .path("heartbeatSeq").asLong();
        }
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (System.nanoTime() < deadline) {
            for (String n : alive) {
                int i = Integer.parseInt(n.substring("hvs-n".length()));
                if (i == not) {
                    continue;
                }
                try (DaemonClient c = new DaemonClient(dir.resolve(n + "/hpcvirtd.sock"))) {
                    VmStatus s = c.status("j" + id + "-" + n + "-0");
                    if (s.state() == VmState.RUNNING && s.lastHeartbeatAgeMs() >= 0 && s.lastHeartbeatSeq() > seq
                            && (after == null || s.lastHeartbeatSeq() > seq)) {
                        return n;
                    }
                } catch (RuntimeException notThere) {
                    // not (yet) on this node
                }
            }
            sleep(Duration.ofMillis(100));
        }
        throw new IllegalStateException("job " + id + "'s guest did not run within " + DEADLINE.toSeconds() + " s; logs " + dir.resolve("log"));
    }

    /** The {@code nth} instant (epoch ms) of a slurmctld log line matching {@code regex}, waiting for it. */
    private long logInstant(String regex, int nth) {
        Pattern p = Pattern.compile(regex);
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (System.nanoTime() < deadline) {
            int seen = 0;
            try {
                for (String line : Files.readAllLines(dir.resolve("log/slurmctld.log"), StandardCharsets.UTF_8)) {
                    Matcher t = LOG_TIME.matcher(line);
                    if (t.find() && p.matcher(line).find() && ++seen == nth) {
                        return LocalDateTime.parse(t.group(1)).atZone(ZoneId.systemDefault()).toInstant().toEpochMilli();
                    }
                }
            } catch (IOException e) {
                throw new IllegalStateException("cannot read slurmctld's log: " + e.getMessage(), e);
            }
            sleep(Duration.ofMillis(100));
        }
        throw new IllegalStateException("slurmctld logged no '" + regex + "' within " + DEADLINE.toSeconds() + " s");
    }

    private void await(java.util.function.BooleanSupplier done, String what) {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(what + " did not appear within " + DEADLINE.toSeconds() + " s");
            }
            sleep(Duration.ofMillis(100));
        }
    }

    /** SIGKILL to every process in node {@code i}'s network namespace; how many. */
    private int killNode(int i) throws IOException {
        String prefix = System.getenv().getOrDefault("HVS_NETNS", "hvs");
        long ns = (Long) Files.getAttribute(Path.of("/run/netns/" + prefix + "-n" + i), "unix:ino");
        List<ProcessHandle> victims = new ArrayList<>();
        try (var s = Files.list(Path.of("/proc"))) {
            for (Path p : s.filter(p -> p.getFileName().toString().matches("[0-9]+")).toList()) {
                try {
                    if (Files.readSymbolicLink(p.resolve("ns/net")).toString().equals("net:[" + ns + "]")) {
                        ProcessHandle.of(Long.parseLong(p.getFileName().toString())).ifPresent(victims::add);
                    }
                } catch (IOException e) {
                    // ended meanwhile
                }
            }
        }
        victims.forEach(ProcessHandle::destroyForcibly);
        return victims.size();
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
