package org.hpcvirt.backend.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
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
import org.hpcvirt.backend.MemoryAccess;
import org.hpcvirt.backend.Migratable;
import org.hpcvirt.backend.Pausable;
import org.hpcvirt.backend.ProcessInfo;
import org.hpcvirt.backend.ProcessInstance;
import org.hpcvirt.backend.RunState;

/**
 * A running QEMU process with its QMP session. Launched instances know their {@link Process};
 * attached ones only the pid, and learn about the exit from the QMP socket closing (confirmed
 * through /proc). EXITED is reported exactly once. Its capabilities are separate objects made
 * once at construction ({@link QemuPausable}, {@link QemuCheckpointable}, {@link QemuDiskSnapshots},
 * {@link QemuMigratable}, {@link QemuMemoryAccess}); they share this instance's QMP session and
 * migration status.
 */
public final class QemuInstance extends ProcessInstance {
    static final Duration QMP_TIMEOUT = Duration.ofSeconds(30);
    /** Unix socket in the run directory through which state files go to and from QEMU. */
    static final String STATE_SOCKET = "state.sock";
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * The exit checks of every instance of this JVM, on one thread: a check reads /proc and, at most
     * once per instance, hands EXITED to the listeners (which only queue it), so no instance's check
     * waits for another's. Never shut down (a daemon thread); an instance cancels its own checks.
     */
    private static final ScheduledThreadPoolExecutor EXIT_CHECKS = exitChecks();

    private final Process process;
    private final QmpConnection qmp;
    private final AtomicBoolean exitReported = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final ScheduledFuture<?> exitCheck;
    private final MigrationWatch migration = new MigrationWatch(this);
    private final QemuPausable pausable = new QemuPausable(this);
    private final QemuMigratable migratable = new QemuMigratable(this);
    /** The capabilities by their SPI interface; created once, never {@code this}. */
    private final Map<Class<?>, Object> capabilities;

    /** QEMU's timestamps of the latest STOP and RESUME events (vCPUs stopped / running again). */
    private volatile java.time.Instant lastStop;
    private volatile java.time.Instant lastResume;

    QemuInstance(InstanceRecord record, Process process, QmpConnection qmp) {
        super(record);
        this.process = process;
        this.qmp = qmp;
        this.capabilities = Map.of(
                Pausable.class, pausable,
                Checkpointable.class, new QemuCheckpointable(this, pausable),
                DiskSnapshots.class, new QemuDiskSnapshots(this),
                Migratable.class, migratable,
                MemoryAccess.class, QemuMemoryAccess.inRunDir(record.runDir()));
        qmp.addEventListener(this::onQmpEvent);
        // Attached processes are not our children: poll /proc after the QMP socket closes, and now
        // and then in case QMP stays silent. Scheduled before anything can report the exit.
        exitCheck = EXIT_CHECKS.scheduleWithFixedDelay(this::checkExit, 1, 1, TimeUnit.SECONDS);
        if (process != null) {
            process.onExit().thenAccept(p -> reportExit(p.exitValue()));
        }
        qmp.addCloseListener(() -> EXIT_CHECKS.execute(this::checkExit));
    }

    private static ScheduledThreadPoolExecutor exitChecks() {
        ScheduledThreadPoolExecutor e = new ScheduledThreadPoolExecutor(1, DaemonThreads.named("qemu-watch"));
        e.setRemoveOnCancelPolicy(true);
        return e;
    }

    private void checkExit() {
        if (!closed.get() && !ProcessInfo.isAlive(record.pid(), record.startTicks())) {
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
            exitCheck.cancel(false);
            fire(InstanceListener.Kind.EXITED, "EXITED", data);
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





    @Override
    public Path guestChannelSocket() {
        return record.runDir().resolve(QemuCommandLine.AGENT_SOCKET);
    }

    @Override
    public Path consoleLog() {
        return record.runDir().resolve(QemuCommandLine.CONSOLE_LOG);
    }

    /** The current outgoing or incoming migration's status, for the capabilities built on migration. */
    MigrationWatch migration() {
        return migration;
    }

    /** QEMU's timestamp of the latest STOP event, or null. */
    java.time.Instant lastStop() {
        return lastStop;
    }

    /** QEMU's timestamp of the latest RESUME event, or null. */
    java.time.Instant lastResume() {
        return lastResume;
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

    /**
     * QMP {@code migrate}. QEMU 7.2 refuses every migration after a multifd migration that failed
     * because its destination died ("duplicate yank instance": the failed one's registration was
     * never removed); that answer is turned into one that says what it means for the VM.
     */
    void startMigration(String uri) {
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
    void setMigrationParameters(long bandwidth, Duration downtimeLimit, boolean pauseBeforeSwitchover, int channels) {
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
        migratable.acceptIncoming("unix:" + sock);
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

    @Override
    public void kill() {
        Optional<ProcessHandle> h = ProcessHandle.of(record.pid());
        if (h.isPresent() && isAlive()) {
            h.get().destroyForcibly();
        }
        if (awaitGone("QEMU pid " + record.pid() + " survived SIGKILL for 10 s")) {
            checkExit();
        }
    }

    /** A child QEMU is waited for (which also reaps it); an attached one is polled. */
    @Override
    protected boolean pauseWhileAlive() {
        if (process == null) {
            return super.pauseWhileAlive();
        }
        try {
            process.waitFor(100, TimeUnit.MILLISECONDS);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }


    /** Pausable, Checkpointable, DiskSnapshots, Migratable and MemoryAccess, each its own object. */
    @Override
    public <T> Optional<T> capability(Class<T> type) {
        return Optional.ofNullable(capabilities.get(type)).map(type::cast);
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            exitCheck.cancel(false);
            qmp.close();
        }
    }
}
