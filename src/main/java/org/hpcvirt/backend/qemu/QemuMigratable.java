package org.hpcvirt.backend.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Map;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.backend.Checkpointable;
import org.hpcvirt.backend.Migratable;

/** {@link Migratable} for one QEMU: QMP {@code migrate} and {@code migrate-incoming}. One migration at a time per instance. */
final class QemuMigratable implements Migratable {
    private final QemuInstance q;

    QemuMigratable(QemuInstance q) {
        this.q = q;
    }

    @Override
    public Checkpointable.SaveResult migrate(String uri, MigrateOptions options) {
        MigrationWatch migration = q.migration();
        q.setMigrationParameters(options.maxBandwidthBytesPerSec(), options.maxDowntime(), false, options.channels());
        migration.reset();
        // on failure or cancel QEMU itself resumes a source that was running (migrate_fd_cleanup)
        q.startMigration(uri);
        migration.awaitCompleted(options.timeout());
        JsonNode done = MigrationWatch.withTimes(q);
        return new Checkpointable.SaveResult(done.path("ram").path("transferred").asLong(), done.path("total-time").asLong(),
                done.path("downtime").asLong());
    }

    /**
     * QMP {@code migrate-incoming}; with port 0 the port QEMU bound is read back from
     * {@code query-migrate}'s {@code socket-address} (QEMU 4.0 and later).
     */
    @Override
    public String acceptIncoming(String uri, int channels) {
        q.execute("migrate-set-capabilities", Map.of("capabilities", java.util.List.of(
                Map.of("capability", "events", "state", true),
                Map.of("capability", "multifd", "state", channels > 1))));
        if (channels > 1) {
            q.execute("migrate-set-parameters", Map.of("multifd-channels", channels));
        }
        q.migration().reset();
        q.execute("migrate-incoming", Map.of("uri", uri));
        if (!uri.startsWith("tcp:") || !uri.endsWith(":0")) {
            return uri;
        }
        for (JsonNode a : q.execute("query-migrate", Map.of()).path("socket-address")) {
            if ("inet".equals(a.path("type").asText())) {
                return "tcp:" + a.path("host").asText() + ":" + a.path("port").asText();
            }
        }
        throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "QEMU pid " + q.pid() + " did not say which port it listens on for " + uri);
    }

    /** QMP {@code migrate_cancel}, then {@code query-migrate} until the status is final. */
    @Override
    public Outgoing cancelOutgoing(Duration timeout) {
        String status = q.execute("query-migrate", Map.of()).path("status").asText("none");
        if (status.equals("completed")) {
            return Outgoing.COMPLETED;
        }
        if (!java.util.Set.of("setup", "active", "pre-switchover", "device", "wait-unplug").contains(status)) {
            return Outgoing.NONE;
        }
        q.execute("migrate_cancel", Map.of());
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            status = q.execute("query-migrate", Map.of()).path("status").asText("none");
            if (status.equals("completed")) {
                return Outgoing.COMPLETED;
            }
            if (status.equals("cancelled") || status.equals("failed") || status.equals("none")) {
                return Outgoing.CANCELLED;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(10_000_000L);
        }
        throw new HpcvirtException(ErrorCode.TIMEOUT, "QEMU pid " + q.pid() + ": the outgoing migration did not stop within "
                + timeout.toSeconds() + " s of migrate_cancel (status " + status + ")");
    }

    @Override
    public void awaitIncomingAndResume(Duration timeout) {
        q.migration().awaitCompleted(timeout);
        q.execute("cont", Map.of());
    }
}
