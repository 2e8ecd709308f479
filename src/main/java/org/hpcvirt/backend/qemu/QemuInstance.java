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

/**
 * A running QEMU process with its QMP session. Launched instances know their {@link Process};
 * attached ones only the pid, and learn about the exit from the QMP socket closing (confirmed
 * through /proc). EXITED is reported exactly once.
 */
public final class QemuInstance implements Instance, Pausable, Checkpointable, DiskSnapshots, Migratable {
    static final Duration QMP_TIMEOUT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final InstanceRecord record;
    private final Process process;
    private final QmpConnection qmp;
    private final CopyOnWriteArrayList<InstanceListener> listeners = new CopyOnWriteArrayList<>();
    private final AtomicBoolean exitReported = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final ScheduledExecutorService watcher;

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
        watcher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "qemu-watch-" + record.pid());
            t.setDaemon(true);
            return t;
        });
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

    @Override
    public String runStatus() {
        if (!isAlive()) {
            return "exited";
        }
        return execute("query-status", Map.of()).path("status").asText("unknown");
    }

    @Override
    public void powerdown() {
        execute("system_powerdown", Map.of());
    }

    @Override
    public void pause() {
        execute("stop", Map.of());
    }

    @Override
    public void resume() {
        execute("cont", Map.of());
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
        String uri = MigrationUris.toFile(file);
        boolean wasRunning = "running".equals(runStatus());
        setMigrationParameters(options.maxBandwidthBytesPerSec(), options.downtimeLimit(), atSwitchover != null);
        if (!options.live() && wasRunning) {
            execute("stop", Map.of());
        }
        try {
            execute("migrate", Map.of("uri", uri));
        } catch (HpcvirtException e) {
            if (!options.live() && wasRunning) {
                execute("cont", Map.of());
            }
            throw e;
        }
        JsonNode completed = finish(atSwitchover, options.timeout(), wasRunning && !options.live());
        if (atCompletion != null) {
            atCompletion.run();
        }
        JsonNode done = MigrationUris.withTimes(this, completed);
        long total = done.path("total-time").asLong();
        long downtime = options.live() ? done.path("downtime").asLong() : total;
        return new SaveResult(done.path("ram").path("transferred").asLong(), total, downtime);
    }

    private void setMigrationParameters(long bandwidth, Duration downtimeLimit, boolean pauseBeforeSwitchover) {
        // "events": QEMU emits MIGRATION events (status changes), which the instance's listeners see
        execute("migrate-set-capabilities", Map.of("capabilities", java.util.List.of(
                Map.of("capability", "pause-before-switchover", "state", pauseBeforeSwitchover),
                Map.of("capability", "events", "state", true))));
        execute("migrate-set-parameters", Map.of(
                "max-bandwidth", bandwidth <= 0 ? Long.MAX_VALUE / 2 : bandwidth,
                "downtime-limit", Math.max(1, downtimeLimit.toMillis())));
    }

    /** Runs the switch-over hook if any, then waits for completion. */
    private JsonNode finish(Runnable atSwitchover, Duration timeout, boolean contOnFailure) {
        if (atSwitchover != null) {
            MigrationUris.awaitStatus(this, "pre-switchover", timeout);
            try {
                atSwitchover.run();
            } catch (RuntimeException e) {
                try {
                    execute("migrate_cancel", Map.of());
                    MigrationUris.awaitStatus(this, "cancelled", Duration.ofSeconds(30));
                } catch (HpcvirtException ignored) {
                    // the original failure is what the caller needs
                }
                if (contOnFailure) {
                    execute("cont", Map.of());
                }
                throw e;
            }
            execute("migrate-continue", Map.of("state", "pre-switchover"));
        }
        try {
            return MigrationUris.awaitCompleted(this, timeout);
        } catch (HpcvirtException e) {
            if (contOnFailure && !"running".equals(runStatus())) {
                execute("cont", Map.of());
            }
            throw e;
        }
    }

    @Override
    public SaveResult migrate(String uri, MigrateOptions options) {
        setMigrationParameters(options.maxBandwidthBytesPerSec(), options.maxDowntime(), false);
        // on failure or cancel QEMU itself resumes a source that was running (migrate_fd_cleanup)
        execute("migrate", Map.of("uri", uri));
        JsonNode done = MigrationUris.awaitCompletion(this, options.timeout());
        return new SaveResult(done.path("ram").path("transferred").asLong(), done.path("total-time").asLong(),
                done.path("downtime").asLong());
    }

    /**
     * QMP {@code migrate-incoming}; with port 0 the port QEMU bound is read back from
     * {@code query-migrate}'s {@code socket-address} (QEMU 4.0 and later).
     */
    @Override
    public String acceptIncoming(String uri) {
        execute("migrate-set-capabilities", Map.of("capabilities",
                java.util.List.of(Map.of("capability", "events", "state", true))));
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
        MigrationUris.awaitCompletion(this, timeout);
        execute("cont", Map.of());
    }

    @Override
    public void snapshotDisk(String drive, Path newTop, String nodeName) {
        execute("blockdev-snapshot-sync", Map.of("device", drive, "snapshot-file", newTop.toAbsolutePath().toString(),
                "snapshot-node-name", nodeName, "format", "qcow2", "mode", "absolute-paths"));
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
