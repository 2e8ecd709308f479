package org.hpcvirt.backend.libvirt;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.backend.Checkpointable;
import org.hpcvirt.backend.RunState;

/**
 * {@link Checkpointable} for one domain: an external memory snapshot without metadata
 * (virDomainSnapshotCreateXML with {@code <memory snapshot='external' file='…'/>}), which writes
 * libvirt's save-image format (what virDomainRestoreFlags loads, see {@link LibvirtBackend#launch}).
 * If the domain has a data disk, the same call takes the external snapshot of it that the
 * switch-over hook asks {@link LibvirtDiskSnapshots} for: the hook runs first, with the disk
 * snapshots deferred, and libvirt then switches the disk after the vCPUs stopped for the final pass
 * and before they run again, so RAM and disk describe the same instant.
 *
 * <p>A paused save suspends the domain first (libvirt then leaves it paused). A live save lets
 * libvirt copy RAM while the guest runs; libvirt resumes the guest itself once the snapshot is
 * complete (libvirt 9.0 has no flag to keep it paused), which is what the {@code atCompletion}
 * hook asks for; without that hook the guest is paused again after the save, as the SPI requires
 * — it then ran for a moment past the saved state. The file's size and SHA-256 are read back after
 * libvirt wrote it. A save that outlasts {@code options.timeout()} is aborted (virDomainAbortJob)
 * and is a TIMEOUT; {@code maxBandwidthBytesPerSec} and {@code downtimeLimit} are not applied
 * (a snapshot has no parameters for them). One save at a time per instance.
 */
final class LibvirtCheckpointable implements Checkpointable {
    /** virDomainSnapshotCreateFlags LIVE: copy memory while the guest runs. */
    static final int LIVE = 256;

    private final LibvirtInstance inst;
    private final LibvirtPausable pausable;
    private final LibvirtDiskSnapshots disks;

    LibvirtCheckpointable(LibvirtInstance inst, LibvirtPausable pausable, LibvirtDiskSnapshots disks) {
        this.inst = inst;
        this.pausable = pausable;
        this.disks = disks;
    }

    @Override
    public SaveResult saveState(Path file, SaveOptions options) {
        return saveState(file, options, null, null);
    }

    @Override
    public SaveResult saveState(Path file, SaveOptions options, Runnable atSwitchover) {
        return saveState(file, options, atSwitchover, null);
    }

    @Override
    public SaveResult saveState(Path file, SaveOptions options, Runnable atSwitchover, Runnable atCompletion) {
        boolean wasRunning = inst.runState() == RunState.RUNNING;
        Path target = file.toAbsolutePath();
        try {
            // libvirt refuses to overwrite a memory file
            Files.deleteIfExists(target);
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot replace " + target + ": " + e.getMessage());
        }
        long t0 = System.nanoTime();
        boolean pausedHere = wasRunning && !options.live();
        if (pausedHere) {
            pausable.pause();
        }
        Map<String, Path> newTops;
        long hookMicros = -1;
        disks.deferSnapshots();
        try {
            if (atSwitchover != null) {
                long h0 = System.nanoTime();
                atSwitchover.run();
                hookMicros = (System.nanoTime() - h0) / 1000;
            }
        } catch (RuntimeException e) {
            if (pausedHere) {
                pausable.resume();
            }
            throw e;
        } finally {
            newTops = disks.takeDeferred();
        }
        StringBuilder xml = new StringBuilder("<domainsnapshot><memory snapshot='external' file='")
                .append(LibvirtDomainXml.esc(target.toString())).append("'/><disks>");
        for (String disk : disks.targets()) {
            Path top = newTops.get(disk);
            xml.append(top == null ? "<disk name='" + LibvirtDomainXml.esc(disk) + "' snapshot='no'/>"
                    : LibvirtDiskSnapshots.diskElement(disk, top));
        }
        xml.append("</disks></domainsnapshot>");
        int flags = LibvirtDiskSnapshots.NO_METADATA | LibvirtDiskSnapshots.ATOMIC | (options.live() && wasRunning ? LIVE : 0);
        long s0 = System.nanoTime();
        PauseWatch watch = new PauseWatch();
        boolean watching = !pausedHere && wasRunning && watch.register(inst);
        long done;
        try {
            java.util.concurrent.atomic.AtomicBoolean finished = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.atomic.AtomicBoolean aborted = new java.util.concurrent.atomic.AtomicBoolean();
            // virDomainSnapshotCreateXML has no deadline of its own: past the timeout, its job is aborted
            java.util.concurrent.CompletableFuture.delayedExecutor(options.timeout().toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
                    .execute(() -> {
                        if (!finished.get()) {
                            aborted.set(true);
                            try {
                                inst.domain().abortJob();
                            } catch (org.libvirt.LibvirtException ignored) {
                                // the job ended meanwhile
                            }
                        }
                    });
            try {
                disks.createSnapshot(xml.toString(), flags, "a checkpoint");
            } catch (HpcvirtException e) {
                if (pausedHere || (wasRunning && inst.runState() == RunState.PAUSED)) {
                    pausable.resume();
                }
                if (aborted.get()) {
                    throw new HpcvirtException(ErrorCode.TIMEOUT, "the checkpoint of domain " + inst.domainName() + " took longer than "
                            + options.timeout().toSeconds() + " s and was cancelled");
                }
                throw e;
            } finally {
                finished.set(true);
            }
            done = System.nanoTime();
            if (!pausedHere && wasRunning) {
                // libvirt resumed the guest after a live save: the completion hook's resume is then a no-op
                if (atCompletion == null) {
                    pausable.pause();
                }
                if (watching) {
                    watch.awaitResumed(java.time.Duration.ofSeconds(1));
                }
            }
        } finally {
            if (watching) {
                watch.unregister(inst);
            }
        }
        if (atCompletion != null) {
            atCompletion.run();
        }
        long totalMs = (done - t0) / 1_000_000;
        long fileBytes;
        String sha;
        try {
            fileBytes = Files.size(target);
            sha = sha256(target);
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "libvirt wrote no readable state file " + target + ": " + e.getMessage());
        }
        Map<String, Long> phases = new java.util.LinkedHashMap<>();
        if (hookMicros >= 0) {
            phases.put("hook", hookMicros);
        }
        phases.put("snapshot", (done - s0) / 1000);
        long pauseMicros = watching ? watch.pauseMicros() : -1;
        if (pauseMicros >= 0) {
            phases.put("resumed", pauseMicros);
        }
        long downtimeMs = !options.live() || !wasRunning ? totalMs : pauseMicros >= 0 ? (pauseMicros + 999) / 1000 : -1;
        return new SaveResult(fileBytes, totalMs, downtimeMs, fileBytes, sha, pauseMicros, phases);
    }

    /**
     * When libvirt stopped and resumed the vCPUs during a live save, by its lifecycle events
     * (SUSPENDED, then RESUMED), timed as they arrive on the event loop: a measure of the pause
     * libvirt's own clock does not report through the binding.
     */
    private static final class PauseWatch {
        private volatile long suspendedAt;
        private volatile long resumedAt;
        private final org.libvirt.event.LifecycleListener listener = (d, ev) -> {
            if (ev.getType() == org.libvirt.event.DomainEventType.SUSPENDED && suspendedAt == 0) {
                suspendedAt = System.nanoTime();
            } else if (ev.getType() == org.libvirt.event.DomainEventType.RESUMED && suspendedAt != 0 && resumedAt == 0) {
                resumedAt = System.nanoTime();
            }
            return 0;
        };

        boolean register(LibvirtInstance inst) {
            try {
                inst.domain().addLifecycleListener(listener);
                return true;
            } catch (org.libvirt.LibvirtException e) {
                return false;
            }
        }

        void unregister(LibvirtInstance inst) {
            try {
                inst.domain().getConnect().removeLifecycleListener(listener);
            } catch (org.libvirt.LibvirtException e) {
                // the connection is going away; so is the listener
            }
        }

        void awaitResumed(java.time.Duration atMost) {
            long deadline = System.nanoTime() + atMost.toNanos();
            while (resumedAt == 0 && System.nanoTime() < deadline) {
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000L);
            }
        }

        long pauseMicros() {
            return suspendedAt != 0 && resumedAt != 0 ? (resumedAt - suspendedAt) / 1000 : -1;
        }
    }

    /** SHA-256 of a file, lower-case hex. */
    static String sha256(Path f) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buf = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(f)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
