package org.hpcvirt.backend.libvirt;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
import org.hpcvirt.backend.Instance;
import org.hpcvirt.backend.InstanceListener;
import org.hpcvirt.backend.InstanceRecord;
import org.hpcvirt.backend.MemoryAccess;
import org.hpcvirt.backend.Migratable;
import org.hpcvirt.backend.Pausable;
import org.hpcvirt.backend.ProcessInstance;
import org.hpcvirt.backend.RunState;
import org.hpcvirt.backend.qemu.QemuCommandLine;
import org.hpcvirt.backend.qemu.QemuMemoryAccess;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainInfo;
import org.libvirt.LibvirtException;
import org.libvirt.event.CrashedDetail;
import org.libvirt.event.DomainEvent;
import org.libvirt.event.LifecycleListener;
import org.libvirt.event.StoppedDetail;

/**
 * One transient libvirt domain with this instance's own connection to libvirtd. Events come from
 * libvirt's event loop (lifecycle events of this domain only); the domain's QEMU is watched through
 * /proc as well, so EXITED is reported (exactly once) even when libvirtd is gone. The domain's
 * name and UUID are written to {@link #DOMAIN_FILE} in the run directory at launch: that file, with
 * the {@link InstanceRecord}, is what {@link LibvirtBackend#attach} finds the domain by.
 * Capabilities: {@link Pausable} (virDomainSuspend/Resume), {@link MemoryAccess} (the gdbstub of
 * the domain's QEMU, as for the qemu backend), {@link org.hpcvirt.backend.Checkpointable}
 * ({@link LibvirtCheckpointable}) and {@link org.hpcvirt.backend.DiskSnapshots}
 * ({@link LibvirtDiskSnapshots}), each its own object.
 */
final class LibvirtInstance extends ProcessInstance {
    /** File in the run directory naming the domain: its name on the first line, its UUID on the second. */
    static final String DOMAIN_FILE = "libvirt.domain";
    private static final ScheduledThreadPoolExecutor EXIT_CHECKS = exitChecks();

    private final Connect conn;
    private final Domain domain;
    private final String domainName;
    private final AtomicBoolean exitReported = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final LifecycleListener lifecycle = this::onLifecycle;
    private final ScheduledFuture<?> exitCheck;
    private final Map<Class<?>, Object> capabilities;
    /** Set when the node can migrate ({@link LibvirtMigratable}); null: Migratable is absent. */
    private volatile Migratable migratable;
    /** An outgoing migration runs: the QEMU may end because the domain moved, which is no exit. */
    private volatile boolean migrating;
    /** The domain moved to another libvirtd: its QEMU here is gone, and that is no exit of the guest. */
    private volatile boolean migratedAway;

    /** Takes ownership of {@code conn}: {@link #close()} closes it. */
    LibvirtInstance(InstanceRecord record, Connect conn, Domain domain, String domainName) {
        super(record);
        this.conn = conn;
        this.domain = domain;
        this.domainName = domainName;
        LibvirtPausable pausable = new LibvirtPausable(this);
        LibvirtDiskSnapshots disks = new LibvirtDiskSnapshots(this);
        this.capabilities = Map.of(
                Pausable.class, pausable,
                MemoryAccess.class, QemuMemoryAccess.inRunDir(record.runDir()),
                org.hpcvirt.backend.Checkpointable.class, new LibvirtCheckpointable(this, pausable, disks),
                org.hpcvirt.backend.DiskSnapshots.class, disks);
        try {
            domain.addLifecycleListener(lifecycle);
        } catch (LibvirtException e) {
            // without libvirt's events, the /proc check below still reports the exit
        }
        exitCheck = EXIT_CHECKS.scheduleWithFixedDelay(this::checkExit, 1, 1, TimeUnit.SECONDS);
    }

    private static ScheduledThreadPoolExecutor exitChecks() {
        ScheduledThreadPoolExecutor e = new ScheduledThreadPoolExecutor(1, DaemonThreads.named("libvirt-watch"));
        e.setRemoveOnCancelPolicy(true);
        return e;
    }

    /** The domain's QEMU pid from libvirt's pid file, or -1 if there is none (yet). */
    static long pidOf(String domainName) {
        try {
            return Long.parseLong(Files.readString(Path.of("/run/libvirt/qemu", domainName + ".pid")).strip());
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    Domain domain() {
        return domain;
    }

    String domainName() {
        return domainName;
    }

    Connect connection() {
        return conn;
    }

    /** Offers {@link Migratable} from now on (the backend found the node able to migrate). */
    void offerMigration(Migratable m) {
        this.migratable = m;
    }

    /** An outgoing migration starts ({@code true}) or failed ({@code false}): while it runs, the QEMU ending is not reported as an exit. */
    void migrating(boolean on) {
        this.migrating = on;
    }

    /** The domain moved to another libvirtd: {@link RunState#MIGRATED}, and its QEMU ending here is no exit. */
    void markMigratedAway() {
        this.migratedAway = true;
    }

    /**
     * The one mapping of libvirt's lifecycle events to {@link InstanceListener.Kind}: a crash with
     * detail PANICKED (pvpanic) is GUEST_PANICKED, suspended/resumed are STOPPED/RESUMED, shutdown is
     * SHUTDOWN, stopped (the domain is gone) is EXITED.
     */
    static InstanceListener.Kind kindOf(DomainEvent ev) {
        return switch (ev.getType()) {
            case CRASHED -> ev.getDetail() == CrashedDetail.PANICKED ? InstanceListener.Kind.GUEST_PANICKED : InstanceListener.Kind.OTHER;
            case SUSPENDED -> InstanceListener.Kind.STOPPED;
            case RESUMED -> InstanceListener.Kind.RESUMED;
            case SHUTDOWN -> InstanceListener.Kind.SHUTDOWN;
            case STOPPED -> InstanceListener.Kind.EXITED;
            default -> InstanceListener.Kind.OTHER;
        };
    }

    private int onLifecycle(Domain d, DomainEvent ev) {
        if (ev.getDetail() == StoppedDetail.MIGRATED) {
            migratedAway = true;
        }
        if (migratedAway) {
            return 0;
        }
        InstanceListener.Kind kind = kindOf(ev);
        String name = "LIBVIRT_" + ev.getType() + "_" + ev.getDetail();
        if (kind == InstanceListener.Kind.EXITED) {
            reportExit(name);
        } else {
            Map<String, Object> data = new HashMap<>();
            data.put("event", ev.getType().toString());
            data.put("detail", String.valueOf(ev.getDetail()));
            fire(kind, name, data);
        }
        return 0;
    }

    private void checkExit() {
        if (!closed.get() && !migrating && !migratedAway && !isAlive()) {
            reportExit("EXITED");
        }
    }

    private void reportExit(String name) {
        if (exitReported.compareAndSet(false, true)) {
            exitCheck.cancel(false);
            fire(InstanceListener.Kind.EXITED, name, Map.of("pid", record.pid()));
        }
    }





    @Override
    public Path guestChannelSocket() {
        return record.runDir().resolve(QemuCommandLine.AGENT_SOCKET);
    }

    @Override
    public Path consoleLog() {
        return record.runDir().resolve(QemuCommandLine.CONSOLE_LOG);
    }

    /** virDomainGetInfo's state through {@link #runStateOf}; EXITED once the QEMU is gone, UNKNOWN if libvirtd does not answer. */
    @Override
    public RunState runState() {
        if (migratedAway) {
            return RunState.MIGRATED;
        }
        if (!isAlive()) {
            return RunState.EXITED;
        }
        try {
            return runStateOf(domain.getInfo().state);
        } catch (LibvirtException e) {
            return RunState.UNKNOWN;
        }
    }

    /**
     * The one mapping of libvirt's domain states to {@link RunState}. libvirt's "shutdown" state
     * means "being shut down" (the guest still runs); "crashed" is what a pvpanic with
     * {@code on_crash preserve} leaves.
     */
    static RunState runStateOf(DomainInfo.DomainState s) {
        if (s == null) {
            return RunState.UNKNOWN;
        }
        return switch (s) {
            case VIR_DOMAIN_RUNNING, VIR_DOMAIN_BLOCKED, VIR_DOMAIN_SHUTDOWN -> RunState.RUNNING;
            case VIR_DOMAIN_PAUSED -> RunState.PAUSED;
            case VIR_DOMAIN_CRASHED -> RunState.PANICKED;
            case VIR_DOMAIN_SHUTOFF -> RunState.EXITED;
            default -> RunState.UNKNOWN;
        };
    }

    /** virDomainShutdown (ACPI power button). */
    @Override
    public void powerdown() {
        try {
            domain.shutdown();
        } catch (LibvirtException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "libvirt cannot shut down domain " + domainName + ": "
                    + LibvirtConnection.message(e));
        }
    }

    /** virDomainDestroy (the domain is transient, so it is gone from libvirt too), then waits for its QEMU to be gone. */
    @Override
    public void kill() {
        if (isAlive()) {
            try {
                domain.destroy();
            } catch (LibvirtException e) {
                if (isAlive()) {
                    // libvirtd is down or refuses: end the QEMU itself
                    ProcessHandle.of(record.pid()).ifPresent(ProcessHandle::destroyForcibly);
                }
            }
        }
        awaitGone("domain " + domainName + " (QEMU pid " + record.pid() + ") still runs 10 s after virDomainDestroy");
        checkExit();
    }


    /** Pausable, MemoryAccess, Checkpointable, DiskSnapshots and, where the node can migrate, Migratable (see {@link LibvirtBackend#capabilities()}). */
    @Override
    public <T> Optional<T> capability(Class<T> type) {
        if (type == Migratable.class) {
            return Optional.ofNullable(migratable).map(type::cast);
        }
        return Optional.ofNullable(capabilities.get(type)).map(type::cast);
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            exitCheck.cancel(false);
            try {
                conn.removeLifecycleListener(lifecycle);
            } catch (LibvirtException | RuntimeException e) {
                // the connection is closed next anyway
            }
            LibvirtConnection.closeQuietly(conn);
        }
    }
}
