package org.hpcvirt.backend.libvirt;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.backend.Backend;
import org.hpcvirt.backend.DefinitionExport;
import org.hpcvirt.backend.Instance;
import org.hpcvirt.backend.IncomingLaunch;
import org.hpcvirt.backend.InstanceRecord;
import org.hpcvirt.backend.LaunchSpec;
import org.hpcvirt.backend.MemoryAccess;
import org.hpcvirt.backend.Capabilities;
import org.hpcvirt.backend.Capability;
import org.hpcvirt.backend.ProbeResult;
import org.hpcvirt.backend.ProcessInfo;
import org.hpcvirt.backend.qemu.QemuCommandLine;
import org.hpcvirt.backend.qemu.QemuMemoryAccess;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;

/**
 * The {@code libvirt} backend: each instance is a transient domain ({@link LibvirtDomainXml}) on the
 * libvirtd at {@link #DEFAULT_URI}, created with virDomainCreateXML through libvirt's Java binding
 * (JNA over libvirt.so.0). Every call to libvirtd that opens a connection has a deadline, so a
 * libvirtd that is down or hung is a BACKEND_UNAVAILABLE, never a hang. The probe is not cached
 * (libvirtd may come and go; a probe costs one connection). Thread-safe.
 */
public final class LibvirtBackend implements Backend {
    /** The system libvirtd: its domains run as root like the qemu backend's QEMU. */
    public static final String DEFAULT_URI = "qemu:///system";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    private final String uri;
    private final Duration connectTimeout;
    private final MemoryAccess.Provider memoryAccess = record -> QemuMemoryAccess.inRunDir(record.runDir());
    private final DefinitionExport export = LibvirtDomainXml::of;
    private final IncomingLaunch incoming = this::launchIncoming;

    /** A backend on {@code uri}, giving up on a connection to libvirtd after {@code connectTimeout}. */
    public LibvirtBackend(String uri, Duration connectTimeout) {
        this.uri = uri;
        this.connectTimeout = connectTimeout;
    }

    /** The node's libvirt backend: {@code qemu:///system}, 3 s to connect ({@code -Dhpcvirt.libvirt.connect.ms}). */
    public static LibvirtBackend system() {
        return new LibvirtBackend(DEFAULT_URI, Duration.ofMillis(Long.getLong("hpcvirt.libvirt.connect.ms", 3000)));
    }

    /** Why migration is absent where the probe itself fails. */
    static final String NO_MIGRATION = "libvirtd does not answer";

    @Override
    public String name() {
        return "libvirt";
    }

    @Override
    public String description() {
        return "QEMU (TCG) as a libvirt domain on " + uri;
    }

    /** Opens a connection within the deadline and asks libvirtd its library and hypervisor versions. */
    @Override
    public ProbeResult probe() {
        Connect c;
        try {
            c = LibvirtConnection.open(uri, connectTimeout);
        } catch (HpcvirtException e) {
            return ProbeResult.unusable(e.getMessage() + " (start it: libvirtd -d; bench/libvirt-setup.sh up does)", "");
        }
        try {
            String version = "libvirt " + dotted(c.getLibVersion()) + ", QEMU " + dotted(c.getVersion());
            String emulator = LibvirtDomainXml.emulator();
            if (!Files.isExecutable(Path.of(emulator))) {
                return ProbeResult.unusable(emulator + " not found (install qemu-system-x86)", version);
            }
            return ProbeResult.ok(version);
        } catch (LibvirtException e) {
            return ProbeResult.unusable("libvirtd at " + uri + " answered but failed: " + LibvirtConnection.message(e), "");
        } finally {
            LibvirtConnection.closeQuietly(c);
        }
    }

    private static String dotted(long v) {
        return (v / 1_000_000) + "." + (v / 1000 % 1000) + "." + (v % 1000);
    }

    /**
     * {@link MemoryAccess.Provider} (the domains' QEMU gdbstub), {@link DefinitionExport} (the domain
     * XML this backend launches) and, where the node can migrate ({@link #migrationUnavailable}),
     * {@link IncomingLaunch}; see {@link #capabilities()} for what it lacks.
     */
    @Override
    public <T> Optional<T> capability(Class<T> type) {
        if (type == MemoryAccess.Provider.class) {
            return Optional.of(type.cast(memoryAccess));
        }
        if (type == DefinitionExport.class) {
            return Optional.of(type.cast(export));
        }
        if (type == IncomingLaunch.class && migrationUnavailable().isEmpty()) {
            return Optional.of(type.cast(incoming));
        }
        return Optional.empty();
    }

    /**
     * Everything a QEMU guest has, migration only where the node can ({@link #migrationUnavailable}).
     * Checkpoints are external memory and disk snapshots and restores with a replacement domain XML
     * ({@link LibvirtCheckpointable}, {@link LibvirtRestore}).
     */
    @Override
    public Capabilities capabilities() {
        ProbeResult p = probe();
        if (!p.usable()) {
            return Capabilities.none(p.reason());
        }
        Capabilities c = Capabilities.all();
        Optional<String> noMigration = migrationUnavailable();
        return noMigration.isEmpty() ? c : c.without(Capability.MIGRATE, noMigration.get());
    }

    /** Why this node cannot migrate libvirt domains (see {@link LibvirtMigrationTarget#whyNot}), or empty if it can. */
    Optional<String> migrationUnavailable() {
        Connect c;
        try {
            c = LibvirtConnection.open(uri, connectTimeout);
        } catch (HpcvirtException e) {
            return Optional.of(NO_MIGRATION + ": " + e.getMessage());
        }
        try {
            return LibvirtMigrationTarget.whyNot(c, uri, connectTimeout);
        } finally {
            LibvirtConnection.closeQuietly(c);
        }
    }

    /** {@link IncomingLaunch}: a {@link LibvirtIncoming} waiting for the domain of {@code spec} to arrive in this node's libvirtd. */
    private Instance launchIncoming(LaunchSpec spec) {
        Path run = spec.runDir();
        prepareRunDir(run);
        return new LibvirtIncoming(this, uri, connectTimeout, run.toAbsolutePath().normalize(),
                LibvirtDomainXml.domainName(spec.profile().name()));
    }

    /** Creates {@code run} and removes what an earlier instance left there (sockets, console, domain file). */
    private static void prepareRunDir(Path run) {
        try {
            Files.createDirectories(run);
            for (String f : List.of(QemuCommandLine.AGENT_SOCKET, QemuCommandLine.GDB_SOCKET, QemuCommandLine.CONSOLE_LOG,
                    LibvirtInstance.DOMAIN_FILE)) {
                Files.deleteIfExists(run.resolve(f));
            }
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot prepare " + run, e);
        }
    }

    /** The instance, with {@link LibvirtMigratable} where this node can migrate. */
    private LibvirtInstance withMigration(LibvirtInstance inst) {
        if (migrationUnavailable().isEmpty()) {
            inst.offerMigration(new LibvirtMigratable(inst, connectTimeout));
        }
        return inst;
    }

    /**
     * virDomainCreateXML of {@link LibvirtDomainXml#of}, or with {@link LaunchSpec#incoming()} a
     * restore of that state file ({@link LibvirtRestore}: its SHA-256 checked first, the domain keeps
     * the name it was saved with); returns once libvirt reports the domain running (or paused, with
     * {@code startPaused}) and its QEMU pid is known.
     */
    @Override
    public Instance launch(LaunchSpec spec) {
        ProbeResult p = probe();
        if (!p.usable()) {
            throw new HpcvirtException(ErrorCode.BACKEND_UNAVAILABLE, "backend '" + name() + "' cannot run here: " + p.reason());
        }
        if (spec.profile().network() == org.hpcvirt.profile.VmProfile.Network.PRIVATE) {
            // an unmanaged ethernet interface: the tap must exist on the network's bridge before libvirt starts QEMU
            org.hpcvirt.network.PrivateNetworks.system().attach(spec.profile().name(), spec.profile().privateNetwork());
        }
        Path run = spec.runDir();
        String domainName = LibvirtDomainXml.domainName(spec.profile().name());
        Connect c = LibvirtConnection.open(uri, connectTimeout);
        if (spec.incoming() != null) {
            try {
                domainName = LibvirtRestore.savedName(c, spec.incoming());
            } catch (RuntimeException e) {
                LibvirtConnection.closeQuietly(c);
                throw e;
            }
        }
        try {
            prepareRunDir(run);
        } catch (HpcvirtException e) {
            LibvirtConnection.closeQuietly(c);
            throw e;
        }
        Domain d;
        try {
            if (spec.incoming() != null) {
                LibvirtRestore.restore(c, spec, domainName);
                d = c.domainLookupByName(domainName);
            } else {
                String xml = LibvirtDomainXml.of(spec);
                Files.writeString(run.resolve("domain.xml"), xml);
                // START_PAUSED = 1: the vCPUs wait until resumed
                d = c.domainCreateXML(xml, spec.startPaused() ? 1 : 0);
            }
        } catch (LibvirtException | IOException | RuntimeException e) {
            LibvirtConnection.closeQuietly(c);
            if (e instanceof HpcvirtException he) {
                throw he;
            }
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "libvirt cannot start domain " + domainName + ": "
                    + (e instanceof LibvirtException le ? LibvirtConnection.message(le) : e.getMessage()));
        }
        try {
            long pid = awaitPid(domainName);
            long ticks = ProcessInfo.of(pid).map(ProcessInfo::startTicks).orElse(0L);
            Files.writeString(run.resolve(LibvirtInstance.DOMAIN_FILE), domainName + "\n" + d.getUUIDString() + "\n");
            return withMigration(new LibvirtInstance(new InstanceRecord(name(), pid, ticks, run), c, d, domainName));
        } catch (RuntimeException | LibvirtException | IOException e) {
            try {
                d.destroy();
            } catch (LibvirtException ignored) {
                // it may never have come up
            }
            LibvirtConnection.closeQuietly(c);
            if (e instanceof HpcvirtException he) {
                throw he;
            }
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "domain " + domainName + " did not come up: " + e.getMessage());
        }
    }

    private static long awaitPid(String domainName) {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (true) {
            long pid = LibvirtInstance.pidOf(domainName);
            if (pid > 0 && ProcessInfo.of(pid).isPresent()) {
                return pid;
            }
            if (System.nanoTime() > deadline) {
                throw new HpcvirtException(ErrorCode.TIMEOUT, "libvirt wrote no pid for domain " + domainName + " within "
                        + START_TIMEOUT.toSeconds() + " s");
            }
            LockSupport.parkNanos(5_000_000L);
        }
    }

    /** Finds the domain by the UUID in the run directory's {@link LibvirtInstance#DOMAIN_FILE}; NOT_FOUND if its QEMU is gone. */
    @Override
    public Instance attach(InstanceRecord record) {
        if (!ProcessInfo.isAlive(record.pid(), record.startTicks())) {
            throw new HpcvirtException(ErrorCode.NOT_FOUND, "QEMU pid " + record.pid() + " of the libvirt domain is gone");
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(record.runDir().resolve(LibvirtInstance.DOMAIN_FILE));
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.NOT_FOUND, "no " + LibvirtInstance.DOMAIN_FILE + " in " + record.runDir()
                    + ": not a libvirt instance");
        }
        if (lines.size() < 2) {
            throw new HpcvirtException(ErrorCode.NOT_FOUND, record.runDir().resolve(LibvirtInstance.DOMAIN_FILE) + " is incomplete");
        }
        Connect c = LibvirtConnection.open(uri, connectTimeout);
        try {
            Domain d = c.domainLookupByUUIDString(lines.get(1).strip());
            return withMigration(new LibvirtInstance(record, c, d, lines.get(0).strip()));
        } catch (LibvirtException e) {
            LibvirtConnection.closeQuietly(c);
            throw new HpcvirtException(ErrorCode.NOT_FOUND, "libvirt domain " + lines.get(0).strip() + " is gone: "
                    + LibvirtConnection.message(e));
        }
    }
}
