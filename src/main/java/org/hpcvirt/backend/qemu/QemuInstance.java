package org.hpcvirt.backend.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.hpcvirt.api.DaemonThreads;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.backend.Checkpointable;
import org.hpcvirt.backend.DiskSnapshots;
import org.hpcvirt.backend.Instance;
import org.hpcvirt.backend.InstanceListener;
import org.hpcvirt.backend.InstanceRecord;
import org.hpcvirt.backend.Migratable;
import org.hpcvirt.backend.Pausable;
import org.hpcvirt.backend.ProcessInfo;
import org.hpcvirt.backend.RunState;

/**
 * A running QEMU process with its QMP session. Launched instances know their {@link Process};
 * attached ones only the pid, and learn about the exit from the QMP socket closing (confirmed
 * through /proc). EXITED is reported exactly once.
 */
public final class QemuInstance implements Instance, Pausable, Checkpointable, DiskSnapshots, Migratable {
    static final Duration QMP_TIMEOUT = Duration.ofSeconds(30);
    /** Unix socket in the run directory through which state files go to and from QEMU. */
    static final String STATE_SOCKET = "state.sock";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final InstanceRecord record;
    private final Process process;
    private final QmpConnection qmp;
    private final CopyOnWriteArrayList<InstanceListener> listeners = new CopyOnWriteArrayList<>();
    private final AtomicBoolean exitReported = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final ScheduledExecutorService watcher;
    private final MigrationWatch migration = new MigrationWatch(this);
    /** Layers opened by prepareSnapshot and not yet in a chain, by node name. */
    private final Map<String, Path> prepared = new java.util.concurrent.ConcurrentHashMap<>();

    /** QEMU's timestamps of the latest STOP and RESUME events (vCPUs stopped / running again). */
    private volatile java.time.Instant lastStop;
    private volatile java.time.Instant lastResume;

    QemuInstance(InstanceRecord record, Process process, QmpConnection qmp) {
        this.record = record;
        this.process = process;
        this.qmp = qmp;
        qmp.addEventListener(this::onQmpEvent);
        if (process != null) {
            process.onExit().thenAccept(p -> reportExit(p.exitValue()));
        }
        // Attached processes are not our children: poll /proc after the QMP socket closes, and now
        // and then in case QMP stays silent.
        watcher = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("qemu-watch-" + record.pid()));
        qmp.addCloseListener(() -> watcher.schedule(this::checkExit, 0, TimeUnit.MILLISECONDS));
        watcher.scheduleWithFixedDelay(this::checkExit, 1, 1, TimeUnit.SECONDS);
    }

    private void checkExit() {
        if (!ProcessInfo.isAlive(record.pid(), record.startTicks())) {
            reportExit(process != null && !process.isAlive() ? process.exitValue() : -1);
        }
    }

    private void reportExit(int exitCode) {
        if (exitReported.compareAndSet(false, true)) {
            Map<String, Object> data = new HashMap<>();
            data.put("pid", record.pid());
            if (exitCode >= 0) {
                data.put("exitCode", exitCode);
            }
            fire(InstanceListener.Kind.EXITED, "EXITED", data);
            watcher.shutdown();
        }
    }

    private void onQmpEvent(QmpEvent ev) {
        switch (ev.name()) {
            case "MIGRATION" -> migration.onEvent(ev.data().path("status").asText("none"), ev.timestamp());
            case "STOP" -> lastStop = ev.timestamp();
            case "RESUME" -> lastResume = ev.timestamp();
            default -> {
            }
        }
        InstanceListener.Kind kind = switch (ev.name()) {
            case "GUEST_PANICKED" -> InstanceListener.Kind.GUEST_PANICKED;
            case "SHUTDOWN" -> InstanceListener.Kind.SHUTDOWN;
            case "STOP" -> InstanceListener.Kind.STOPPED;
            case "RESUME" -> InstanceListener.Kind.RESUMED;
            default -> InstanceListener.Kind.OTHER;
        };
        @SuppressWarnings("unchecked")
        Map<String, Object> data = JSON.convertValue(ev.data(), Map.class);
        fire(kind, ev.name(), data == null ? Map.of() : data);
    }

    private void fire(InstanceListener.Kind kind, String name, Map<String, Object> data) {
        for (InstanceListener l : listeners) {
            try {
                l.onEvent(kind, name, data);
            } catch (RuntimeException e) {
                // one faulty listener must not hide events from the others
            }
        }
    }

    @Override
    public InstanceRecord record() {
        return record;
    }

    @Override
    public long pid() {
        return record.pid();
    }

    @Override
    public boolean isAlive() {
        return ProcessInfo.isAlive(record.pid(), record.startTicks());
    }

    @Override
    public Path guestChannelSocket() {
        return record.runDir().resolve(QemuCommandLine.AGENT_SOCKET);
    }

    @Override
    public Path consoleLog() {
        return record.runDir().resolve(QemuCommandLine.CONSOLE_LOG);
    }

    /** The QMP session, for capabilities built on QMP (checkpoint, migration). */
    public QmpConnection qmp() {
        return qmp;
    }

    /** Runs a QMP command with the default timeout. */
    public JsonNode execute(String command, Map<String, ?> args) {
        return qmp.execute(command, args, QMP_TIMEOUT);
    }

    /** {@code query-status}, mapped by {@link #runStateOf}; EXITED without a process, UNKNOWN if QMP fails. */
    @Override
    public RunState runState() {
        if (!isAlive()) {
            return RunState.EXITED;
        }
        try {
            return runStateOf(execute("query-status", Map.of()).path("status").asText(""));
        } catch (HpcvirtException e) {
            return RunState.UNKNOWN;
        }
    }

    /**
     * The one mapping of QEMU's run statuses ({@code RunState} in QEMU's {@code qapi/run-state.json},
     * as {@code query-status} reports them) to {@link RunState}; a status not listed (a newer QEMU's,
     * or none) is UNKNOWN.
     */
    static RunState runStateOf(String qemuStatus) {
        return switch (qemuStatus == null ? "" : qemuStatus) {
            case "running" -> RunState.RUNNING;
            case "paused", "debug", "suspended" -> RunState.PAUSED;
            case "inmigrate", "prelaunch", "restore-vm" -> RunState.INCOMING;
            case "finish-migrate", "save-vm", "colo" -> RunState.SAVING;
            case "postmigrate" -> RunState.MIGRATED;
            case "guest-panicked" -> RunState.PANICKED;
            case "shutdown" -> RunState.SHUTDOWN;
            case "io-error", "internal-error", "watchdog" -> RunState.ERROR;
            default -> RunState.UNKNOWN;
        };
    }

    @Override
    public void powerdown() {
        execute("system_powerdown", Map.of());
    }

    @Override
    public void pause() {
        execute("stop", Map.of());
    }

    /**
     * {@code cont}. Right after a migration to a file completed, QEMU has sent the
     * {@code completed} event but may not yet have left its finish-migrate run state, and refuses
     * {@code cont} for that short moment ("Migration is not finalized yet"); that answer is retried
     * for up to a second.
     */
    @Override
    public void resume() {
        long deadline = System.nanoTime() + Duration.ofSeconds(1).toNanos();
        while (true) {
            try {
                execute("cont", Map.of());
                return;
            } catch (QmpException e) {
                if (!e.desc().contains("not finalized") || System.nanoTime() > deadline) {
                    throw e;
                }
                java.util.concurrent.locks.LockSupport.parkNanos(100_000L);
            }
        }
    }

    @Override
    public SaveResult saveState(Path file, SaveOptions options) {
        return saveState(file, options, null);
    }

    /**
     * With a hook, the migration pauses at QEMU's {@code pre-switchover} state (capability
     * {@code pause-before-switchover}): vCPUs are stopped, block I/O is drained and the disks are
     * still active, so a disk snapshot taken there matches the RAM state exactly.
     */
    @Override
    public SaveResult saveState(Path file, SaveOptions options, Runnable atSwitchover) {
        return saveState(file, options, atSwitchover, null);
    }

    @Override
    public SaveResult saveState(Path file, SaveOptions options, Runnable atSwitchover, Runnable atCompletion) {
        boolean wasRunning = runState() == RunState.RUNNING;
        setMigrationParameters(options.maxBandwidthBytesPerSec(), options.downtimeLimit(), atSwitchover != null, 1);
        boolean contOnFailure = wasRunning && !options.live();
        try (StateSocket.Sink sink = new StateSocket.Sink(record.runDir().resolve(STATE_SOCKET), file)) {
            migration.reset();
            if (contOnFailure) {
                execute("stop", Map.of());
            }
            try {
                startMigration(sink.uri());
            } catch (HpcvirtException e) {
                if (contOnFailure) {
                    resume();
                }
                throw e;
            }
            long hookMicros = finish(atSwitchover, options.timeout(), contOnFailure);
            java.time.Instant stoppedAt = lastStop;
            if (atCompletion != null) {
                atCompletion.run();
            }
            StateSocket.Copied copied = sink.await(options.timeout());
            JsonNode done = MigrationWatch.withTimes(this);
            long total = done.path("total-time").asLong();
            long downtime = options.live() ? done.path("downtime").asLong() : total;
            java.time.Instant resumedAt = lastResume;
            boolean resumed = stoppedAt != null && resumedAt != null && resumedAt.isAfter(stoppedAt);
            Map<String, Long> phases = new java.util.LinkedHashMap<>();
            if (stoppedAt != null) {
                putSince(phases, "pre-switchover", stoppedAt, migration.reachedAt("pre-switchover"));
                if (hookMicros >= 0) {
                    phases.put("hook", hookMicros);
                }
                putSince(phases, "completed", stoppedAt, migration.reachedAt("completed"));
                putSince(phases, "resumed", stoppedAt, resumed ? resumedAt : null);
            }
            return new SaveResult(done.path("ram").path("transferred").asLong(), total, downtime, copied.bytes(),
                    copied.sha256(), resumed ? Duration.between(stoppedAt, resumedAt).toNanos() / 1000 : -1, phases);
        }
    }

    /**
     * QMP {@code migrate}. QEMU 7.2 refuses every migration after a multifd migration that failed
     * because its destination died ("duplicate yank instance": the failed one's registration was
     * never removed); that answer is turned into one that says what it means for the VM.
     */
    private void startMigration(String uri) {
        try {
            execute("migrate", Map.of("uri", uri));
        } catch (QmpException e) {
            if (e.desc().contains("duplicate yank instance")) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "QEMU pid " + record.pid() + " cannot start another migration:"
                        + " an earlier multi-channel (multifd) migration that failed left it unable to (QEMU 7.2: 'duplicate yank"
                        + " instance'); the guest keeps running, but neither live migration nor checkpoints work until its QEMU"
                        + " is restarted (stop and start the VM)", e);
            }
            throw e;
        }
    }

    /**
     * Capabilities and parameters for the next outgoing migration. Capabilities persist in QEMU
     * between migrations, so each one is set explicitly every time.
     */
    private void setMigrationParameters(long bandwidth, Duration downtimeLimit, boolean pauseBeforeSwitchover, int channels) {
        // "events": QEMU emits MIGRATION events (status changes), which MigrationWatch waits on
        execute("migrate-set-capabilities", Map.of("capabilities", java.util.List.of(
                Map.of("capability", "pause-before-switchover", "state", pauseBeforeSwitchover),
                Map.of("capability", "events", "state", true),
                Map.of("capability", "multifd", "state", channels > 1))));
        Map<String, Object> params = new HashMap<>();
        params.put("max-bandwidth", bandwidth <= 0 ? Long.MAX_VALUE / 2 : bandwidth);
        params.put("downtime-limit", Math.max(1, downtimeLimit.toMillis()));
        if (channels > 1) {
            params.put("multifd-channels", channels);
        }
        execute("migrate-set-parameters", params);
    }

    private static void putSince(Map<String, Long> phases, String name, java.time.Instant from, java.time.Instant to) {
        if (to != null) {
            phases.put(name, Duration.between(from, to).toNanos() / 1000);
        }
    }

    /** Runs the switch-over hook if any, then waits for completion; returns the hook's µs, or -1 without one. */
    private long finish(Runnable atSwitchover, Duration timeout, boolean contOnFailure) {
        long hookMicros = -1;
        if (atSwitchover != null) {
            migration.await("pre-switchover", timeout);
            long h0 = System.nanoTime();
            try {
                atSwitchover.run();
                hookMicros = (System.nanoTime() - h0) / 1000;
            } catch (RuntimeException e) {
                try {
                    execute("migrate_cancel", Map.of());
                    migration.await("cancelled", Duration.ofSeconds(30));
                } catch (HpcvirtException ignored) {
                    // the original failure is what the caller needs
                }
                if (contOnFailure) {
                    resume();
                }
                throw e;
            }
            execute("migrate-continue", Map.of("state", "pre-switchover"));
        }
        try {
            migration.awaitCompleted(timeout);
        } catch (HpcvirtException e) {
            if (contOnFailure && runState() != RunState.RUNNING) {
                resume();
            }
            throw e;
        }
        return hookMicros;
    }

    @Override
    public SaveResult migrate(String uri, MigrateOptions options) {
        setMigrationParameters(options.maxBandwidthBytesPerSec(), options.maxDowntime(), false, options.channels());
        migration.reset();
        // on failure or cancel QEMU itself resumes a source that was running (migrate_fd_cleanup)
        startMigration(uri);
        migration.awaitCompleted(options.timeout());
        JsonNode done = MigrationWatch.withTimes(this);
        return new SaveResult(done.path("ram").path("transferred").asLong(), done.path("total-time").asLong(),
                done.path("downtime").asLong());
    }

    /**
     * QMP {@code migrate-incoming}; with port 0 the port QEMU bound is read back from
     * {@code query-migrate}'s {@code socket-address} (QEMU 4.0 and later).
     */
    @Override
    public String acceptIncoming(String uri, int channels) {
        execute("migrate-set-capabilities", Map.of("capabilities", java.util.List.of(
                Map.of("capability", "events", "state", true),
                Map.of("capability", "multifd", "state", channels > 1))));
        if (channels > 1) {
            execute("migrate-set-parameters", Map.of("multifd-channels", channels));
        }
        migration.reset();
        execute("migrate-incoming", Map.of("uri", uri));
        if (!uri.startsWith("tcp:") || !uri.endsWith(":0")) {
            return uri;
        }
        for (JsonNode a : execute("query-migrate", Map.of()).path("socket-address")) {
            if ("inet".equals(a.path("type").asText())) {
                return "tcp:" + a.path("host").asText() + ":" + a.path("port").asText();
            }
        }
        throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "QEMU pid " + record.pid() + " did not say which port it listens on for " + uri);
    }

    @Override
    public void awaitIncomingAndResume(Duration timeout) {
        migration.awaitCompleted(timeout);
        execute("cont", Map.of());
    }

    /**
     * Loads a state file into this QEMU, started with {@code -incoming defer -S}: streams it over
     * a Unix socket while computing its SHA-256. With {@code expectedSha256}, a file whose checksum
     * differs is refused (REFUSED) even if QEMU loaded it; the vCPUs never ran. With {@code run},
     * the guest is resumed once the state is loaded and verified; otherwise it stays paused.
     */
    void loadState(Path file, String expectedSha256, boolean run, Duration timeout) {
        if (!java.nio.file.Files.isReadable(file)) {
            throw new HpcvirtException(ErrorCode.NOT_FOUND, "state file " + file + " not found");
        }
        Path sock = record.runDir().resolve(STATE_SOCKET);
        try {
            java.nio.file.Files.deleteIfExists(sock);
        } catch (java.io.IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot remove " + sock, e);
        }
        acceptIncoming("unix:" + sock);
        java.util.concurrent.CompletableFuture<StateSocket.Copied> sent = StateSocket.send(sock, file);
        sent.whenComplete((c, e) -> {
            if (e != null) {
                migration.failLocally();
            }
        });
        HpcvirtException failed = null;
        try {
            migration.awaitCompleted(timeout);
        } catch (HpcvirtException e) {
            failed = e;
        }
        StateSocket.Copied copied;
        try {
            copied = sent.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot read state file " + file + ": "
                    + e.getCause().getMessage(), e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new HpcvirtException(ErrorCode.TIMEOUT, "sending state file " + file + " took longer than "
                    + timeout.toSeconds() + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "interrupted while loading " + file);
        } finally {
            try {
                java.nio.file.Files.deleteIfExists(sock);
            } catch (java.io.IOException e) {
                // QEMU removes nothing; a stale socket is deleted before the next load
            }
        }
        if (expectedSha256 != null && !expectedSha256.equals(copied.sha256())) {
            throw new HpcvirtException(ErrorCode.REFUSED, "state file " + file + " has SHA-256 "
                    + copied.sha256().substring(0, 12) + "… (" + copied.bytes() + " bytes), expected "
                    + expectedSha256.substring(0, Math.min(12, expectedSha256.length())) + "…");
        }
        if (failed != null) {
            throw new HpcvirtException(failed.code(), "loading state file " + file + " failed: " + failed.getMessage());
        }
        if (run) {
            execute("cont", Map.of());
        }
    }

    /**
     * {@code blockdev-snapshot-sync}: with a layer file made by {@link #prepareSnapshot}, in mode
     * {@code existing}, so that inside the pause QEMU only opens that small file; otherwise it
     * also creates the file, opening the whole backing chain to size it. (A layer opened with
     * {@code blockdev-add} instead would stay referenced by the monitor as a node of its own; with
     * a few of those in the chain, QEMU's stop and {@code cont} around every later checkpoint grew
     * by milliseconds.)
     */
    @Override
    public void snapshotDisk(String drive, Path newTop, String nodeName) {
        boolean existing = prepared.remove(nodeName) != null;
        execute("blockdev-snapshot-sync", Map.of("device", drive, "snapshot-file", newTop.toAbsolutePath().toString(),
                "snapshot-node-name", nodeName, "format", "qcow2", "mode", existing ? "existing" : "absolute-paths"));
    }

    /** Writes the empty overlay over the current top layer (see {@link org.hpcvirt.checkpoint.Qcow2#createOverlay}). */
    @Override
    public void prepareSnapshot(String drive, Path newTop, String nodeName) {
        Path top = topLayer(drive);
        org.hpcvirt.checkpoint.Qcow2.createOverlay(top, newTop, org.hpcvirt.checkpoint.Qcow2.virtualSize(top));
        prepared.put(nodeName, newTop);
    }

    @Override
    public void discardPrepared(String nodeName, Path newTop) {
        if (prepared.remove(nodeName) != null) {
            org.hpcvirt.api.DirectoryTree.deleteQuietly(newTop);
        }
    }

    /** QEMU names a layer whose backing differs from its header {@code json:{…"file":{"filename":F}}}; F is the file. */
    private static String plainFilename(String name) {
        if (!name.startsWith("json:")) {
            return name;
        }
        try {
            JsonNode n = JSON.readTree(name.substring(5));
            return n.path("file").path("filename").asText(name);
        } catch (java.io.IOException e) {
            return name;
        }
    }

    @Override
    public Path topLayer(String drive) {
        for (JsonNode b : execute("query-block", Map.of())) {
            if (drive.equals(b.path("device").asText()) && b.has("inserted")) {
                return Path.of(plainFilename(b.path("inserted").path("file").asText()));
            }
        }
        throw new HpcvirtException(ErrorCode.NOT_FOUND, "drive '" + drive + "' not found in QEMU pid " + record.pid());
    }

    /** QMP {@code block-stream} with {@code backing-file}, polled through {@code query-jobs}. */
    @Override
    public void flatten(String drive, String baseFile, Path backingName, Duration timeout) {
        String job = "hv-stream-" + System.nanoTime();
        execute("block-stream", Map.of("job-id", job, "device", drive, "base", baseFile,
                "backing-file", backingName.toString(), "auto-dismiss", false));
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            JsonNode found = null;
            for (JsonNode j : execute("query-jobs", Map.of())) {
                if (job.equals(j.path("id").asText())) {
                    found = j;
                }
            }
            if (found == null) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "block job " + job + " vanished");
            }
            String st = found.path("status").asText();
            if ("concluded".equals(st) || "null".equals(st)) {
                execute("job-dismiss", Map.of("id", job));
                if (found.has("error")) {
                    throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "streaming the disk failed: " + found.path("error").asText());
                }
                return;
            }
            if (System.nanoTime() > deadline) {
                execute("job-cancel", Map.of("id", job));
                throw new HpcvirtException(ErrorCode.TIMEOUT, "streaming the disk took longer than " + timeout.toSeconds() + " s");
            }
            java.util.concurrent.locks.LockSupport.parkNanos(2_000_000L);
        }
    }

    @Override
    public java.util.List<String> chain(String drive) {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (JsonNode b : execute("query-block", Map.of())) {
            if (drive.equals(b.path("device").asText()) && b.has("inserted")) {
                for (JsonNode img = b.path("inserted").path("image"); !img.isMissingNode(); img = img.path("backing-image")) {
                    out.add(plainFilename(img.path("filename").asText()));
                }
                return out;
            }
        }
        throw new HpcvirtException(ErrorCode.NOT_FOUND, "drive '" + drive + "' not found in QEMU pid " + record.pid());
    }

    @Override
    public void kill() {
        Optional<ProcessHandle> h = ProcessHandle.of(record.pid());
        if (h.isPresent() && isAlive()) {
            h.get().destroyForcibly();
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (isAlive()) {
            if (System.nanoTime() > deadline) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "QEMU pid " + record.pid() + " survived SIGKILL for 10 s");
            }
            if (process != null) {
                try {
                    process.waitFor(100, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            } else {
                java.util.concurrent.locks.LockSupport.parkNanos(20_000_000L);
            }
        }
        checkExit();
    }

    @Override
    public void addListener(InstanceListener listener) {
        listeners.add(listener);
    }

    @Override
    public <T> Optional<T> capability(Class<T> type) {
        return type.isInstance(this) ? Optional.of(type.cast(this)) : Optional.empty();
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            watcher.shutdownNow();
            qmp.close();
        }
    }
}
