package org.hpcvirt.backend.container;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.hpcvirt.api.DaemonThreads;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.backend.Instance;
import org.hpcvirt.backend.InstanceListener;
import org.hpcvirt.backend.InstanceRecord;
import org.hpcvirt.backend.Pausable;
import org.hpcvirt.backend.ProcessInstance;
import org.hpcvirt.backend.RunState;

/**
 * A running {@code crun} container: its init's pid (from {@code crun state}), the agent's socket
 * in the run directory and the console log its init writes. Exit is found by polling /proc every
 * half second on one thread shared by every container of this JVM (crun is not our child once it
 * has detached); EXITED is reported exactly once, and an exited container's crun state and cgroups
 * are deleted then. Its only capability is {@link Pausable} ({@code crun pause}, the freezer).
 */
final class ContainerInstance extends ProcessInstance {
    /** File in the run directory holding the container id, for {@link ContainerBackend#attach}. */
    static final String ID_FILE = "container.id";
    static final String CHANNEL_DIR = "channel";
    static final String CONSOLE_LOG = "console.log";
    private static final ScheduledThreadPoolExecutor EXIT_CHECKS = exitChecks();

    private final String containerId;
    private final AtomicBoolean exitReported = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final ScheduledFuture<?> exitCheck;
    private final Pausable pausable = new Pausable() {
        @Override
        public void pause() {
            Crun.require("crun pause " + containerId, List.of("pause", containerId));
            fire(InstanceListener.Kind.STOPPED, "STOP", Map.of());
        }

        @Override
        public void resume() {
            Crun.require("crun resume " + containerId, List.of("resume", containerId));
            fire(InstanceListener.Kind.RESUMED, "RESUME", Map.of());
        }
    };

    ContainerInstance(InstanceRecord record, String containerId) {
        super(record);
        this.containerId = containerId;
        exitCheck = EXIT_CHECKS.scheduleWithFixedDelay(this::checkExit, 500, 500, TimeUnit.MILLISECONDS);
    }

    private static ScheduledThreadPoolExecutor exitChecks() {
        ScheduledThreadPoolExecutor e = new ScheduledThreadPoolExecutor(1, DaemonThreads.named("container-watch"));
        e.setRemoveOnCancelPolicy(true);
        return e;
    }

    /** The crun container id. */
    String containerId() {
        return containerId;
    }

    private void checkExit() {
        if (!closed.get() && !isAlive()) {
            reportExit();
        }
    }

    private void reportExit() {
        if (exitReported.compareAndSet(false, true)) {
            exitCheck.cancel(false);
            Crun.deleteQuietly(containerId);
            Map<String, Object> data = new HashMap<>();
            data.put("pid", record.pid());
            data.put("container", containerId);
            fire(InstanceListener.Kind.EXITED, "EXITED", data);
        }
    }





    @Override
    public Path guestChannelSocket() {
        return record.runDir().resolve(CHANNEL_DIR).resolve(Path.of(OciConfig.AGENT_SOCKET).getFileName());
    }

    @Override
    public Path consoleLog() {
        return record.runDir().resolve(CONSOLE_LOG);
    }

    /** {@code crun state}, mapped by {@link #runStateOf}; EXITED once the init process is gone. */
    @Override
    public RunState runState() {
        if (!isAlive()) {
            return RunState.EXITED;
        }
        try {
            return Crun.state(containerId).map(s -> runStateOf(s.status())).orElse(RunState.UNKNOWN);
        } catch (HpcvirtException e) {
            return RunState.UNKNOWN;
        }
    }

    /**
     * The one mapping of crun's statuses to {@link RunState}: {@code running} → RUNNING,
     * {@code paused} → PAUSED (frozen), {@code created} → INCOMING (init not started yet),
     * {@code stopped} → EXITED; anything else UNKNOWN.
     */
    static RunState runStateOf(String crunStatus) {
        return switch (crunStatus == null ? "" : crunStatus) {
            case "running" -> RunState.RUNNING;
            case "paused" -> RunState.PAUSED;
            case "created" -> RunState.INCOMING;
            case "stopped" -> RunState.EXITED;
            default -> RunState.UNKNOWN;
        };
    }

    /** SIGTERM to the container's init, which stops the agent and exits (see {@code guest/container-init}). */
    @Override
    public void powerdown() {
        Crun.require("crun kill " + containerId + " TERM", List.of("kill", containerId, "TERM"));
    }

    /** {@code crun kill KILL} (a frozen container is thawed first so that it can die), then {@code crun delete}. */
    @Override
    public void kill() {
        if (isAlive()) {
            Crun.state(containerId).filter(s -> s.status().equals("paused"))
                    .ifPresent(s -> Crun.run(List.of("resume", containerId), Crun.TIMEOUT));
            Crun.run(List.of("kill", containerId, "KILL"), Crun.TIMEOUT);
            awaitGone("container " + containerId + " (pid " + record.pid() + ") survived SIGKILL for 10 s");
        }
        reportExit();
        Crun.deleteQuietly(containerId);
    }


    /** {@link Pausable} only: checkpoint, migration, disk snapshots and memory access are absent (see the backend's matrix). */
    @Override
    public <T> Optional<T> capability(Class<T> type) {
        return type == Pausable.class ? Optional.of(type.cast(pausable)) : Optional.empty();
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            exitCheck.cancel(false);
        }
    }
}
