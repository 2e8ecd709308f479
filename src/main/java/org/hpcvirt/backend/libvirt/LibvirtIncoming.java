package org.hpcvirt.backend.libvirt;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.backend.Checkpointable;
import org.hpcvirt.backend.Instance;
import org.hpcvirt.backend.InstanceListener;
import org.hpcvirt.backend.InstanceRecord;
import org.hpcvirt.backend.MemoryAccess;
import org.hpcvirt.backend.Migratable;
import org.hpcvirt.backend.Pausable;
import org.hpcvirt.backend.ProcessInfo;
import org.hpcvirt.backend.RunState;
import org.hpcvirt.backend.qemu.QemuCommandLine;
import org.hpcvirt.backend.qemu.QemuMemoryAccess;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainInfo;
import org.libvirt.LibvirtException;

/**
 * The destination of a libvirt migration before and after the domain arrives. libvirt has no
 * public call to start a domain waiting for incoming state (its migration protocol starts the
 * destination's QEMU itself), so until the domain arrives this instance has no process: pid 0,
 * {@link RunState#INCOMING}, alive until killed or closed. {@link Migratable#awaitIncomingAndResume}
 * waits for the domain to run in this node's libvirtd (libvirt resumes it there at the end of the stream)
 * and adopts it as a full {@link LibvirtInstance}
 * (its events, pause, agent socket in this run directory, its own Migratable); from then on every
 * method forwards to it and {@link #pid()} is its QEMU. Thread-safe; the caller owns it like any
 * instance.
 */
final class LibvirtIncoming implements Instance {
    private final LibvirtBackend backend;
    private final String uri;
    private final Duration connectTimeout;
    private final Path runDir;
    private final String domainName;
    private final List<InstanceListener> listeners = new ArrayList<>();
    private final Migratable migratable = new Incoming();
    private final Pausable pausable = new Forwarding();
    private final MemoryAccess memory;
    private volatile LibvirtInstance arrived;
    private volatile boolean ended;
    private volatile String target;

    LibvirtIncoming(LibvirtBackend backend, String uri, Duration connectTimeout, Path runDir, String domainName) {
        this.backend = backend;
        this.uri = uri;
        this.connectTimeout = connectTimeout;
        this.runDir = runDir;
        this.domainName = domainName;
        this.memory = QemuMemoryAccess.inRunDir(runDir);
    }

    @Override
    public InstanceRecord record() {
        LibvirtInstance a = arrived;
        return a != null ? a.record() : new InstanceRecord(backend.name(), 0, 0, runDir);
    }

    @Override
    public long pid() {
        LibvirtInstance a = arrived;
        return a != null ? a.pid() : 0;
    }

    @Override
    public boolean isAlive() {
        LibvirtInstance a = arrived;
        return a != null ? a.isAlive() : !ended;
    }

    /**
     * The arrived domain's agent socket; before it is adopted, a path that does not exist (the
     * guest already runs there once libvirt's migration is complete, but its heartbeats are to count
     * only once the source's daemon has asked this node to take over).
     */
    @Override
    public Path guestChannelSocket() {
        return arrived != null ? arrived.guestChannelSocket() : runDir.resolve(QemuCommandLine.AGENT_SOCKET + ".arriving");
    }

    @Override
    public Path consoleLog() {
        return runDir.resolve(QemuCommandLine.CONSOLE_LOG);
    }

    @Override
    public RunState runState() {
        LibvirtInstance a = arrived;
        if (a != null) {
            return a.runState();
        }
        return ended ? RunState.EXITED : RunState.INCOMING;
    }

    @Override
    public void powerdown() {
        arrivedOrFail("power down").powerdown();
    }

    /**
     * Before the domain arrived: no process to end; the instance ends (EXITED, once), and a domain
     * of this name that libvirt is receiving into this node's libvirtd meanwhile is destroyed, which
     * fails the migration (the source keeps running).
     */
    @Override
    public void kill() {
        LibvirtInstance a = arrived;
        if (a != null) {
            a.kill();
            return;
        }
        boolean first;
        synchronized (this) {
            first = !ended;
            ended = true;
        }
        try {
            Connect c = LibvirtConnection.open(uri, connectTimeout);
            try {
                c.domainLookupByName(domainName).destroy();
            } catch (LibvirtException e) {
                // none arrived: nothing to end
            } finally {
                LibvirtConnection.closeQuietly(c);
            }
        } catch (HpcvirtException e) {
            // libvirtd is gone: no domain of it is left either
        }
        if (first) {
            List<InstanceListener> ls;
            synchronized (this) {
                ls = List.copyOf(listeners);
            }
            ls.forEach(l -> l.onEvent(InstanceListener.Kind.EXITED, "EXITED", Map.of("pid", 0L)));
        }
    }

    @Override
    public void addListener(InstanceListener listener) {
        LibvirtInstance a;
        synchronized (this) {
            listeners.add(listener);
            a = arrived;
        }
        if (a != null) {
            a.addListener(listener);
        }
    }

    @Override
    public <T> Optional<T> capability(Class<T> type) {
        LibvirtInstance a = arrived;
        if (a != null) {
            // adopted: everything the arrived domain offers (checkpoints, disk snapshots included)
            return a.capability(type);
        }
        if (type == Migratable.class) {
            return Optional.of(type.cast(migratable));
        }
        if (type == Pausable.class) {
            return Optional.of(type.cast(pausable));
        }
        if (type == MemoryAccess.class) {
            return Optional.of(type.cast(memory));
        }
        return Optional.empty();
    }

    @Override
    public void close() {
        LibvirtInstance a = arrived;
        if (a != null) {
            a.close();
        }
        ended = true;
    }

    private LibvirtInstance arrivedOrFail(String what) {
        LibvirtInstance a = arrived;
        if (a == null) {
            throw new HpcvirtException(ErrorCode.WRONG_STATE, "cannot " + what + " domain " + domainName
                    + ": it has not arrived from the source yet");
        }
        return a;
    }

    /** Waits for the domain to run in this node's libvirtd, then makes it a {@link LibvirtInstance} with this instance's listeners. */
    private void adopt(Duration timeout) {
        if (arrived != null) {
            return;
        }
        if (ended) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "the incoming migration of domain " + domainName + " was ended here");
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        Connect c = LibvirtConnection.open(uri, connectTimeout);
        try {
            Domain d = null;
            String last = "no domain " + domainName + " in " + uri;
            while (true) {
                try {
                    if (d == null) {
                        d = c.domainLookupByName(domainName);
                    }
                    DomainInfo.DomainState s = d.getInfo().state;
                    long pid = LibvirtInstance.pidOf(domainName);
                    if (s == DomainInfo.DomainState.VIR_DOMAIN_RUNNING && pid > 0 && ProcessInfo.of(pid).isPresent()) {
                        long ticks = ProcessInfo.of(pid).map(ProcessInfo::startTicks).orElse(0L);
                        Files.writeString(runDir.resolve(LibvirtInstance.DOMAIN_FILE), domainName + "\n" + d.getUUIDString() + "\n");
                        LibvirtInstance a = new LibvirtInstance(new InstanceRecord(backend.name(), pid, ticks, runDir), c, d, domainName);
                        a.offerMigration(new LibvirtMigratable(a, connectTimeout));
                        synchronized (this) {
                            listeners.forEach(a::addListener);
                            arrived = a;
                        }
                        c = null;
                        return;
                    }
                    if (s == DomainInfo.DomainState.VIR_DOMAIN_PAUSED && pid > 0) {
                        // complete and left paused (VIR_MIGRATE_PAUSED); still receiving, libvirt refuses (its job is busy)
                        try {
                            d.resume();
                            continue;
                        } catch (LibvirtException e) {
                            last = "domain " + domainName + " is still arriving: " + LibvirtConnection.message(e);
                        }
                    } else {
                        last = "domain " + domainName + " is " + s;
                    }
                } catch (LibvirtException e) {
                    d = null;
                    last = LibvirtConnection.message(e);
                } catch (IOException e) {
                    throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot write " + runDir.resolve(LibvirtInstance.DOMAIN_FILE)
                            + ": " + e.getMessage());
                }
                if (ended) {
                    throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "the incoming migration of domain " + domainName + " was ended here");
                }
                if (System.nanoTime() > deadline) {
                    throw new HpcvirtException(ErrorCode.TIMEOUT, "domain " + domainName + " did not arrive running in " + uri + " within "
                            + timeout.toSeconds() + " s (" + last + ")");
                }
                LockSupport.parkNanos(20_000_000L);
            }
        } finally {
            LibvirtConnection.closeQuietly(c);
        }
    }

    /** The destination side of a libvirt migration, and once the domain has arrived, its source side. */
    private final class Incoming implements Migratable {
        /** The target naming this node's libvirtd on the address of {@code uri} ({@code tcp:ADDR:PORT}) and this run directory. */
        @Override
        public String acceptIncoming(String uri, int channels) {
            if (channels != 1) {
                throw HpcvirtException.invalid("the libvirt backend receives a migration over one connection, not " + channels
                        + " (libvirt's Java binding has no virDomainMigrate3 for parallel connections)");
            }
            String t = LibvirtMigrationTarget.listeningOn(uri, runDir).format();
            target = t;
            return t;
        }

        /** Waits for the domain to run here (libvirt resumes it when complete; a paused one is resumed) and adopts it. */
        @Override
        public void awaitIncomingAndResume(Duration timeout) {
            if (target == null) {
                throw new HpcvirtException(ErrorCode.WRONG_STATE, "domain " + domainName + " accepts no migration (acceptIncoming first)");
            }
            adopt(timeout);
        }

        /** Whether a domain of this name runs in this node's libvirtd: libvirt resumed it on arrival and removed the source's. */
        @Override
        public boolean arrivedRunning() {
            if (arrived != null) {
                return true;
            }
            try {
                Connect c = LibvirtConnection.open(uri, connectTimeout);
                try {
                    return c.domainLookupByName(domainName).getInfo().state == DomainInfo.DomainState.VIR_DOMAIN_RUNNING;
                } catch (LibvirtException e) {
                    return false;
                } finally {
                    LibvirtConnection.closeQuietly(c);
                }
            } catch (HpcvirtException e) {
                return false;
            }
        }

        @Override
        public Checkpointable.SaveResult migrate(String uri, MigrateOptions options) {
            return arrivedOrFail("migrate").capability(Migratable.class).orElseThrow().migrate(uri, options);
        }

        @Override
        public Outgoing cancelOutgoing(Duration timeout) {
            LibvirtInstance a = arrived;
            return a == null ? Outgoing.NONE : a.capability(Migratable.class).orElseThrow().cancelOutgoing(timeout);
        }
    }

    /** Pause and resume of the arrived domain. */
    private final class Forwarding implements Pausable {
        @Override
        public void pause() {
            arrivedOrFail("pause").capability(Pausable.class).orElseThrow().pause();
        }

        @Override
        public void resume() {
            arrivedOrFail("resume").capability(Pausable.class).orElseThrow().resume();
        }
    }
}
