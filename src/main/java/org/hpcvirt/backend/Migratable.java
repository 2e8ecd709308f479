package org.hpcvirt.backend;

import java.time.Duration;

/**
 * Capability: live migration of an instance's RAM and device state over the network to an
 * instance started with {@link IncomingLaunch#launchIncoming}. Disks are not copied: both ends
 * open the same files on shared storage. Not thread-safe per instance: one migration at a time.
 */
public interface Migratable {
    /**
     * Streams the state to {@code uri} ({@code tcp:HOST:PORT}) with pre-copy and returns when the
     * VMM reports completion; the source is then paused ({@link RunState#MIGRATED}) with its disks
     * released. On failure the VMM resumes the source if it was running.
     *
     * @throws org.hpcvirt.api.HpcvirtException OPERATION_FAILED if the migration failed (the
     *         destination went away), TIMEOUT after {@code options.timeout()} (cancelled)
     */
    Checkpointable.SaveResult migrate(String uri, MigrateOptions options);

    /**
     * Destination side: listens on {@code uri} ({@code tcp:ADDR:PORT}; port 0 picks a free one)
     * for the incoming stream (instance launched by {@link IncomingLaunch#launchIncoming});
     * returns at once.
     *
     * @return the URI actually listened on, with the port resolved, for the source to send to
     */
    default String acceptIncoming(String uri) {
        return acceptIncoming(uri, 1);
    }

    /**
     * Like {@link #acceptIncoming(String)}, receiving over {@code channels} parallel connections
     * (QEMU multifd) when more than 1; the source must send with the same number
     * ({@link MigrateOptions#channels}).
     */
    String acceptIncoming(String uri, int channels);

    /**
     * Destination side: waits until the incoming migration completed, then resumes the vCPUs.
     *
     * @throws org.hpcvirt.api.HpcvirtException OPERATION_FAILED if it failed, TIMEOUT
     */
    void awaitIncomingAndResume(Duration timeout);

    /**
     * Destination side: whether the incoming guest already runs here although nobody asked to resume
     * it — the VMM's own protocol resumed it on arrival and removed the source's copy (libvirt's
     * migration does; QEMU's waits for {@link #awaitIncomingAndResume}). Giving such an instance up
     * would destroy the only copy of the guest; the caller adopts it with {@link #awaitIncomingAndResume}
     * instead. Never throws: false when it cannot tell. The default is false.
     */
    default boolean arrivedRunning() {
        return false;
    }

    /**
     * Source side: cancels an outgoing migration this instance may still be running (started by
     * an earlier daemon that is gone) and waits until the VMM has settled, at most {@code timeout}.
     * The VMM resumes the guest itself if it was running; nothing happens if no migration runs.
     *
     * @return what became of the outgoing migration
     */
    Outgoing cancelOutgoing(Duration timeout);

    /** What {@link #cancelOutgoing} found. */
    enum Outgoing {
        /** No outgoing migration was running. */
        NONE,
        /** One was running and is cancelled; the guest runs (or stays paused) here. */
        CANCELLED,
        /** It had completed: the state was sent away and the instance stays {@link RunState#MIGRATED}. */
        COMPLETED
    }

    /**
     * How to migrate.
     *
     * @param maxDowntime              longest acceptable final pause
     * @param maxBandwidthBytesPerSec  cap; 0 = unlimited
     * @param timeout                  give up after this long
     * @param channels                 parallel connections (QEMU multifd) when more than 1; the
     *                                 destination must accept with the same number
     */
    record MigrateOptions(Duration maxDowntime, long maxBandwidthBytesPerSec, Duration timeout, int channels) {
        /**
         * Default number of connections: one. More (QEMU multifd) are faster — 4 moved an idle
         * 128 MiB guest twice as fast on a 2-core node (docs/BENCHMARKS.md) — but with QEMU 7.2 a
         * multifd migration whose destination dies leaves the source QEMU unable to start any
         * later migration or checkpoint ("duplicate yank instance") until it is restarted.
         */
        public static final int DEFAULT_CHANNELS = 1;
        /** Most parallel connections accepted. */
        public static final int MAX_CHANNELS = 16;

        public MigrateOptions {
            if (channels < 1 || channels > MAX_CHANNELS) {
                throw org.hpcvirt.api.HpcvirtException.invalid("channels must be between 1 and " + MAX_CHANNELS + ", not " + channels);
            }
        }

        /** With {@link #DEFAULT_CHANNELS}. */
        public MigrateOptions(Duration maxDowntime, long maxBandwidthBytesPerSec, Duration timeout) {
            this(maxDowntime, maxBandwidthBytesPerSec, timeout, DEFAULT_CHANNELS);
        }
    }
}
