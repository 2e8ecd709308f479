package org.hpcvirt.backend.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.backend.Checkpointable;
import org.hpcvirt.backend.RunState;

/**
 * {@link Checkpointable} for one QEMU: a migration to a Unix socket in the run directory
 * ({@link QemuInstance#STATE_SOCKET}) whose other end writes the file and its SHA-256. One save at
 * a time per instance.
 */
final class QemuCheckpointable implements Checkpointable {
    private final QemuInstance q;
    private final QemuPausable pausable;

    QemuCheckpointable(QemuInstance q, QemuPausable pausable) {
        this.q = q;
        this.pausable = pausable;
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
        MigrationWatch migration = q.migration();
        boolean wasRunning = q.runState() == RunState.RUNNING;
        q.setMigrationParameters(options.maxBandwidthBytesPerSec(), options.downtimeLimit(), atSwitchover != null, 1);
        boolean contOnFailure = wasRunning && !options.live();
        try (StateSocket.Sink sink = new StateSocket.Sink(q.record().runDir().resolve(QemuInstance.STATE_SOCKET), file)) {
            migration.reset();
            if (contOnFailure) {
                q.execute("stop", Map.of());
            }
            try {
                q.startMigration(sink.uri());
            } catch (HpcvirtException e) {
                if (contOnFailure) {
                    pausable.resume();
                }
                throw e;
            }
            long hookMicros;
            try {
                hookMicros = finish(atSwitchover, options.timeout(), contOnFailure);
            } catch (HpcvirtException e) {
                throw sink.explain(e);
            }
            java.time.Instant stoppedAt = q.lastStop();
            if (atCompletion != null) {
                atCompletion.run();
            }
            StateSocket.Copied copied = sink.await(options.timeout());
            JsonNode done = MigrationWatch.withTimes(q);
            long total = done.path("total-time").asLong();
            long downtime = options.live() ? done.path("downtime").asLong() : total;
            java.time.Instant resumedAt = q.lastResume();
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

    private static void putSince(Map<String, Long> phases, String name, java.time.Instant from, java.time.Instant to) {
        if (to != null) {
            phases.put(name, Duration.between(from, to).toNanos() / 1000);
        }
    }

    /** Runs the switch-over hook if any, then waits for completion; returns the hook's µs, or -1 without one. */
    private long finish(Runnable atSwitchover, Duration timeout, boolean contOnFailure) {
        MigrationWatch migration = q.migration();
        long hookMicros = -1;
        if (atSwitchover != null) {
            migration.await("pre-switchover", timeout);
            long h0 = System.nanoTime();
            try {
                atSwitchover.run();
                hookMicros = (System.nanoTime() - h0) / 1000;
            } catch (RuntimeException e) {
                try {
                    q.execute("migrate_cancel", Map.of());
                    migration.await("cancelled", Duration.ofSeconds(30));
                } catch (HpcvirtException ignored) {
                    // the original failure is what the caller needs
                }
                if (contOnFailure) {
                    pausable.resume();
                }
                throw e;
            }
            q.execute("migrate-continue", Map.of("state", "pre-switchover"));
        }
        try {
            migration.awaitCompleted(timeout);
        } catch (HpcvirtException e) {
            if (contOnFailure && q.runState() != RunState.RUNNING) {
                pausable.resume();
            }
            throw e;
        }
        return hookMicros;
    }
}
