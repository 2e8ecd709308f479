package org.hpcvirt.backend.libvirt;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.hpcvirt.api.DaemonThreads;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.backend.Checkpointable;
import org.hpcvirt.backend.Migratable;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainJobInfo;
import org.libvirt.LibvirtException;
import org.libvirt.event.LifecycleListener;
import org.libvirt.event.SuspendedDetail;

/**
 * {@link Migratable} of a running libvirt domain (the source side): libvirt's own live migration
 * (virDomainMigrate2 with a connection to the destination's libvirtd, {@code VIR_MIGRATE_LIVE},
 * disks on shared storage) to a {@link LibvirtMigrationTarget}. libvirt's own protocol decides the
 * switch-over: the destination's libvirtd resumes the guest as soon as the stream is complete (its
 * Finish step), and only then is the domain removed here (Confirm); if anything fails before, libvirt
 * resumes it here. So the guest never runs twice, and it runs on the destination before the
 * destination's daemon adopts it ({@link LibvirtIncoming}). Over one connection only: the binding has no
 * virDomainMigrate3 for parallel connections. Not thread-safe: one migration at a time.
 */
final class LibvirtMigratable implements Migratable {
    private static final long VIR_MIGRATE_LIVE = 1;
    /**
     * libvirt calls a migration with a disk outside a filesystem it knows to be shared (NFS, GFS2,
     * Ceph, …) "unsafe" and refuses it. hpcvirt's checkpoint store is shared between the nodes by
     * configuration (HPCVIRT_STORE; {@code MigrationSource} moves the data disk there before the
     * move), which libvirt cannot see, e.g. a directory both nodes of one machine use.
     */
    private static final long VIR_MIGRATE_UNSAFE = 512;
    private static final int VIR_DOMAIN_XML_MIGRATABLE = 8;
    private static final Duration ABORT_WAIT = Duration.ofSeconds(30);

    private final LibvirtInstance inst;
    private final Duration connectTimeout;

    LibvirtMigratable(LibvirtInstance inst, Duration connectTimeout) {
        this.inst = inst;
        this.connectTimeout = connectTimeout;
    }

    /**
     * Migrates to {@code uri} (a {@link LibvirtMigrationTarget}); returns once libvirt reports the
     * domain running there and gone here. {@code downtimeMs} is measured in this process from the
     * source's "suspended for migration" event to the destination's "resumed" event (both libvirtd
     * report them to this process, on its two connections); -1 if either event did not come.
     */
    @Override
    public Checkpointable.SaveResult migrate(String uri, MigrateOptions options) {
        LibvirtMigrationTarget t = LibvirtMigrationTarget.parse(uri);
        if (options.channels() != 1) {
            throw HpcvirtException.invalid("the libvirt backend migrates over one connection, not " + options.channels()
                    + " (libvirt's Java binding has no virDomainMigrate3 for parallel connections)");
        }
        Domain d = inst.domain();
        String name = inst.domainName();
        Connect dest;
        try {
            dest = LibvirtConnection.open(t.libvirtUri(), connectTimeout);
        } catch (HpcvirtException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot reach the destination's libvirtd: " + e.getMessage());
        }
        long[] suspendedAt = {0};
        long[] resumedAt = {0};
        LifecycleListener onSuspend = (dom, ev) -> {
            if (ev.getDetail() == SuspendedDetail.MIGRATED && suspendedAt[0] == 0) {
                suspendedAt[0] = System.nanoTime();
            }
            return 0;
        };
        LifecycleListener onResume = (dom, ev) -> {
            try {
                if (ev.getType() == org.libvirt.event.DomainEventType.RESUMED && resumedAt[0] == 0 && name.equals(dom.getName())) {
                    resumedAt[0] = System.nanoTime();
                }
            } catch (LibvirtException e) {
                // a domain without a name is not ours
            }
            return 0;
        };
        long t0 = System.nanoTime();
        try {
            String srcRun = inst.record().runDir().toAbsolutePath().normalize() + "/";
            String xml = d.getXMLDesc(VIR_DOMAIN_XML_MIGRATABLE).replace(srcRun, t.runDir() + "/");
            if (!options.maxDowntime().isZero()) {
                d.migrateSetMaxDowntime(Math.max(1, options.maxDowntime().toMillis()));
            }
            long mib = options.maxBandwidthBytesPerSec() <= 0 ? 0 : Math.max(1, (options.maxBandwidthBytesPerSec() + (1 << 20) - 1) >> 20);
            try {
                d.addLifecycleListener(onSuspend);
                dest.addLifecycleListener(onResume);
            } catch (LibvirtException e) {
                // without the event the downtime is unknown (-1); the migration itself does not need it
            }
            inst.migrating(true);
            CompletableFuture<Void> done = new CompletableFuture<>();
            DaemonThreads.named("libvirt-migrate").newThread(() -> {
                try {
                    Domain there = d.migrate(dest, VIR_MIGRATE_LIVE | (xml.contains("<alias name='ua-data'/>") ? VIR_MIGRATE_UNSAFE : 0), xml, null, t.migrateUri(), mib);
                    if (there != null) {
                        there.free();
                    }
                    done.complete(null);
                } catch (LibvirtException | RuntimeException e) {
                    done.completeExceptionally(e);
                }
            }).start();
            long bytes = awaitMigration(d, done, options.timeout(), name, t);
            long end = System.nanoTime();
            inst.markMigratedAway();
            // the destination's event may trail the call's return by a moment
            long waitEvent = System.nanoTime() + 2_000_000_000L;
            while (resumedAt[0] == 0 && System.nanoTime() < waitEvent) {
                java.util.concurrent.locks.LockSupport.parkNanos(5_000_000L);
            }
            long downtime = suspendedAt[0] == 0 || resumedAt[0] == 0 ? -1 : (resumedAt[0] - suspendedAt[0]) / 1_000_000;
            return new Checkpointable.SaveResult(bytes, (end - t0) / 1_000_000, downtime, 0, null, -1, Map.of());
        } catch (LibvirtException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "libvirt cannot migrate domain " + name + ": " + LibvirtConnection.message(e));
        } finally {
            inst.migrating(false);
            try {
                inst.connection().removeLifecycleListener(onSuspend);
            } catch (LibvirtException | RuntimeException e) {
                // the domain may be gone with its events
            }
            try {
                dest.removeLifecycleListener(onResume);
            } catch (LibvirtException | RuntimeException e) {
                // closed next anyway
            }
            LibvirtConnection.closeQuietly(dest);
        }
    }

    /** Waits for the migration thread within {@code timeout}, sampling libvirt's job for the bytes sent; aborts the job on timeout. */
    private static long awaitMigration(Domain d, CompletableFuture<Void> done, Duration timeout, String name, LibvirtMigrationTarget t) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long bytes = 0;
        while (true) {
            try {
                done.get(100, TimeUnit.MILLISECONDS);
                return bytes;
            } catch (TimeoutException e) {
                try {
                    DomainJobInfo j = d.getJobInfo();
                    bytes = Math.max(bytes, j.getDataProcessed());
                } catch (LibvirtException ignored) {
                    // the job may just have ended
                }
                if (System.nanoTime() > deadline) {
                    try {
                        d.abortJob();
                    } catch (LibvirtException ignored) {
                        // it may have completed meanwhile; the wait below tells
                    }
                    try {
                        done.get(ABORT_WAIT.toMillis(), TimeUnit.MILLISECONDS);
                        return bytes;
                    } catch (ExecutionException | TimeoutException | InterruptedException e2) {
                        throw new HpcvirtException(ErrorCode.TIMEOUT, "libvirt migration of domain " + name + " to " + t.libvirtUri()
                                + " did not finish within " + timeout.toSeconds() + " s; cancelled, the domain runs here");
                    }
                }
            } catch (ExecutionException e) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "libvirt migration of domain " + name + " to " + t.libvirtUri()
                        + " failed: " + LibvirtConnection.message(e.getCause()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "interrupted while migrating domain " + name);
            }
        }
    }

    /** A running domain is no destination: it was not launched with {@link org.hpcvirt.backend.IncomingLaunch}. */
    @Override
    public String acceptIncoming(String uri, int channels) {
        throw new HpcvirtException(ErrorCode.WRONG_STATE, "domain " + inst.domainName() + " runs; it cannot receive a migration");
    }

    @Override
    public void awaitIncomingAndResume(Duration timeout) {
        throw new HpcvirtException(ErrorCode.WRONG_STATE, "domain " + inst.domainName() + " is not waiting for an incoming migration");
    }

    /**
     * A client-driven libvirt migration ends with the client's connection (an earlier daemon that
     * is gone took it along), so normally there is none; one still running is aborted with
     * virDomainAbortJob. COMPLETED if the domain has moved away.
     */
    @Override
    public Outgoing cancelOutgoing(Duration timeout) {
        if (inst.runState() == org.hpcvirt.backend.RunState.MIGRATED) {
            return Outgoing.COMPLETED;
        }
        Domain d = inst.domain();
        try {
            if (d.getJobInfo().getType() == 0) {
                return Outgoing.NONE;
            }
            d.abortJob();
        } catch (LibvirtException e) {
            return inst.isAlive() ? Outgoing.NONE : Outgoing.COMPLETED;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (d.getJobInfo().getType() == 0) {
                    break;
                }
            } catch (LibvirtException e) {
                break;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(20_000_000L);
        }
        return inst.isAlive() ? Outgoing.CANCELLED : Outgoing.COMPLETED;
    }
}
