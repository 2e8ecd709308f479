package org.hpcvirt.slurm;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Json;

/**
 * The clocks of the Slurm jobs whose first node this is: the daemon of a job's first node (the
 * first of {@code SLURM_NODELIST}, where the batch script runs too) takes the job's periodic
 * checkpoint sets and, when the partition's rule says {@code checkpoint-requeue}, one set shortly
 * before the job's time limit followed by {@code scontrol requeue}. It learns of jobs from the
 * deployment records the Prolog writes ({@code $HPCVIRT_HOME/vse/<JOB>.json} with the job's nodes,
 * checkpoint period and time-limit rule) and asks {@code squeue} for the time left. A period is the
 * work time between the end of one checkpoint and the start of the next (as in
 * {@link org.hpcvirt.ft.CheckpointIntervals}), counted from the deployment for the first.
 *
 * <p>Thread-safe: {@link #tick} runs on one scheduler thread (or a test's); {@link #close} stops it.
 */
public final class JobTimers implements AutoCloseable {
    /** What takes a job's checkpoint set (a {@link JobCheckpoints} in the daemon). */
    public interface Checkpointer {
        /** One coordinated checkpoint set of {@code job} on {@code nodes}. */
        CheckpointSet checkpoint(String job, List<String> nodes, String reason);
    }

    /** How often the records and the time left are looked at. */
    public static final Duration TICK = Duration.ofSeconds(2);
    private static final int ASK_EVERY_TICKS = 15;

    private final Path records;
    private final String self;
    private final Checkpointer checkpointer;
    private final SlurmCommands slurm;
    private final Consumer<String> log;
    private final Map<String, JobClock> clocks = new ConcurrentHashMap<>();
    private ScheduledExecutorService scheduler;

    /** A job's clock: when it was deployed, its last checkpoint's end, its end as Slurm says, whether it was requeued. */
    private static final class JobClock {
        final String deployed;
        Instant lastEnd;
        Instant endTime;
        int ticks;
        boolean requeued;

        JobClock(String deployed, Instant start) {
            this.deployed = deployed;
            this.lastEnd = start;
        }
    }

    /**
     * @param records      the deployment records' directory ({@code $HPCVIRT_HOME/vse})
     * @param self         this node's name
     * @param checkpointer takes the sets
     * @param slurm        runs squeue and scontrol
     * @param log          where a line per action goes
     */
    public JobTimers(Path records, String self, Checkpointer checkpointer, SlurmCommands slurm, Consumer<String> log) {
        this.records = records;
        this.self = self;
        this.checkpointer = checkpointer;
        this.slurm = slurm;
        this.log = log;
    }

    /** Starts looking every {@link #TICK}; a no-op for a node without a name. */
    public synchronized void start() {
        if (self == null || scheduler != null) {
            return;
        }
        scheduler = Executors.newSingleThreadScheduledExecutor(org.hpcvirt.api.DaemonThreads.named("job-timers"));
        scheduler.scheduleWithFixedDelay(() -> {
            try {
                tick(Instant.now());
            } catch (RuntimeException e) {
                log.accept("hpcvirt: job timers: " + HpcvirtException.chain(e));
            }
        }, TICK.toMillis(), TICK.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** One look at every record at time {@code now}: takes the checkpoints and requeues that are due. */
    public void tick(Instant now) {
        Set<String> seen = new HashSet<>();
        for (Path f : recordFiles()) {
            JsonNode r;
            try {
                r = Json.mapper().readTree(f.toFile());
            } catch (IOException e) {
                continue; // a record being replaced; the next tick reads it
            }
            List<String> nodes = new ArrayList<>();
            r.path("nodes").forEach(n -> nodes.add(n.asText()));
            String job = r.path("job").asText(null);
            if (job == null || nodes.isEmpty() || !nodes.get(0).equals(self)) {
                continue;
            }
            seen.add(job);
            String deployed = r.path("deployed").asText("");
            JobClock c = clocks.compute(job, (j, old) -> old != null && old.deployed.equals(deployed) ? old
                    : new JobClock(deployed, parseInstant(deployed, now)));
            if (c.requeued) {
                continue;
            }
            if (c.ticks++ % ASK_EVERY_TICKS == 0) {
                Duration left = timeLeft(job);
                c.endTime = left == null ? null : now.plus(left);
            }
            JsonNode tl = r.path("timeLimit");
            if ("checkpoint-requeue".equals(tl.path("action").asText()) && c.endTime != null
                    && !now.isBefore(c.endTime.minusSeconds(tl.path("marginSeconds").asLong(60)))) {
                timeLimit(job, nodes, c);
                continue;
            }
            long period = r.path("checkpointPeriodSeconds").asLong(0);
            if (period > 0 && !now.isBefore(c.lastEnd.plusSeconds(period))) {
                long started = System.nanoTime();
                try {
                    checkpointer.checkpoint(job, nodes, "periodic");
                } catch (RuntimeException e) {
                    log.accept("hpcvirt: periodic checkpoint of job " + job + " failed: " + HpcvirtException.chain(e));
                }
                // a failed checkpoint is tried again after a period, not at every tick
                c.lastEnd = now.plusNanos(System.nanoTime() - started);
            }
        }
        clocks.keySet().retainAll(seen);
    }

    private void timeLimit(String job, List<String> nodes, JobClock c) {
        c.requeued = true;
        String how;
        try {
            CheckpointSet s = checkpointer.checkpoint(job, nodes, "time-limit");
            how = s.label() + " taken";
        } catch (RuntimeException e) {
            how = "checkpoint failed (" + HpcvirtException.chain(e) + "), the job restarts from its last good set";
        }
        SlurmCommands.Result r = slurm.run(List.of("scontrol", "requeue", job));
        if (r.exitCode() != 0) {
            log.accept("hpcvirt: job " + job + " near its time limit: " + how + "; scontrol requeue failed: " + r.output().strip());
            return;
        }
        log.accept("hpcvirt: job " + job + " near its time limit: " + how + ", job requeued");
    }

    private List<Path> recordFiles() {
        if (!Files.isDirectory(records)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(records)) {
            return s.filter(p -> p.getFileName().toString().matches("[0-9]+\\.json")).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** The job's time left as squeue says ({@code %L}), or null: unlimited, unknown, or squeue failed. */
    private Duration timeLeft(String job) {
        SlurmCommands.Result r = slurm.run(List.of("squeue", "-h", "-j", job, "-o", "%L"));
        if (r.exitCode() != 0) {
            log.accept("hpcvirt: squeue for the time left of job " + job + " failed: " + r.output().strip());
            return null;
        }
        return parseTimeLeft(r.output().strip());
    }

    /** Slurm's {@code [D-][HH:]MM:SS} (squeue %L), or null for UNLIMITED, NOT_SET, INVALID and anything else. */
    static Duration parseTimeLeft(String text) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?:([0-9]+)-)?(?:([0-9]+):)?([0-9]+):([0-9]+)").matcher(text);
        if (!m.matches()) {
            return null;
        }
        long d = m.group(1) == null ? 0 : Long.parseLong(m.group(1));
        long h = m.group(2) == null ? 0 : Long.parseLong(m.group(2));
        return Duration.ofDays(d).plusHours(h).plusMinutes(Long.parseLong(m.group(3))).plusSeconds(Long.parseLong(m.group(4)));
    }

    private static Instant parseInstant(String text, Instant otherwise) {
        try {
            return Instant.parse(text);
        } catch (RuntimeException e) {
            return otherwise;
        }
    }

    @Override
    public synchronized void close() {
        if (scheduler != null) {
            scheduler.shutdownNow();
            scheduler = null;
        }
    }
}
