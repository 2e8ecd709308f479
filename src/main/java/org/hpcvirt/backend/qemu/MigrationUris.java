package org.hpcvirt.backend.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Pattern;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/**
 * Migration URIs for saving to and loading from files, and waiting for a migration to end.
 * QEMU 7.2 has no {@code file:} URI, so files go through {@code exec:cat}; QEMU runs that through
 * {@code /bin/sh}, which is why paths are restricted to characters that need no quoting.
 */
public final class MigrationUris {
    private static final Pattern SAFE_PATH = Pattern.compile("/[A-Za-z0-9/._+-]+");

    private MigrationUris() {
    }

    /** {@code exec:cat > FILE}. */
    public static String toFile(Path file) {
        return "exec:cat > " + safe(file);
    }

    /** {@code exec:cat FILE}. */
    public static String fromFile(Path file) {
        return "exec:cat " + safe(file);
    }

    private static String safe(Path file) {
        String p = file.toAbsolutePath().normalize().toString();
        if (!SAFE_PATH.matcher(p).matches()) {
            throw HpcvirtException.invalid("state file path " + p + " must consist of letters, digits and / . _ + -");
        }
        return p;
    }

    /**
     * Polls {@code query-migrate} until its status is {@code wanted}; fails if the migration
     * failed or was cancelled first (unless that is what is wanted) or on timeout.
     */
    public static JsonNode awaitStatus(QemuInstance q, String wanted, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            JsonNode st = q.execute("query-migrate", Map.of());
            String status = st.path("status").asText("none");
            if (status.equals(wanted)) {
                return st;
            }
            if (status.equals("failed") || status.equals("cancelled") || status.equals("completed")) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "migration " + status + " while waiting for " + wanted
                        + (st.has("error-desc") ? ": " + st.get("error-desc").asText() : ""));
            }
            if (System.nanoTime() > deadline) {
                throw new HpcvirtException(ErrorCode.TIMEOUT, "migration did not reach " + wanted + " within " + timeout.toSeconds() + " s");
            }
            LockSupport.parkNanos(1_000_000L);
        }
    }

    /**
     * QEMU sets the status to completed before it computes {@code total-time} and {@code downtime}
     * (migration_completion, then migration_calculate_complete): a fast poll can see zeros. Asks
     * again for up to a second until they are filled in. The incoming side has no times at all.
     */
    static JsonNode withTimes(QemuInstance q, JsonNode st) {
        long deadline = System.nanoTime() + Duration.ofSeconds(1).toNanos();
        JsonNode cur = st;
        while (cur.path("total-time").asLong(0) == 0 && cur.has("ram") && System.nanoTime() < deadline) {
            LockSupport.parkNanos(1_000_000L);
            cur = q.execute("query-migrate", Map.of());
        }
        return cur;
    }

    /**
     * Polls {@code query-migrate} until the migration completed; cancels it and fails on timeout,
     * fails with QEMU's error description if it failed.
     *
     * @return the final query-migrate result
     */
    public static JsonNode awaitCompletion(QemuInstance q, Duration timeout) {
        return withTimes(q, awaitCompleted(q, timeout));
    }

    /**
     * Like {@link #awaitCompletion} but returns as soon as the status is {@code completed}, before
     * QEMU filled in the times: a caller that must resume the guest at once does so, then calls
     * {@link #withTimes}.
     */
    static JsonNode awaitCompleted(QemuInstance q, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            JsonNode st = q.execute("query-migrate", Map.of());
            String status = st.path("status").asText("none");
            switch (status) {
                case "completed":
                    return st;
                case "failed":
                case "cancelled":
                    throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "migration " + status
                            + (st.has("error-desc") ? ": " + st.get("error-desc").asText() : ""));
                default:
                    break;
            }
            if (System.nanoTime() > deadline) {
                try {
                    q.execute("migrate_cancel", Map.of());
                } catch (HpcvirtException e) {
                    // already ending; the timeout is what we report
                }
                throw new HpcvirtException(ErrorCode.TIMEOUT, "migration not completed within " + timeout.toSeconds() + " s (status " + status + ")");
            }
            // 1 ms: the guest stays paused until we see completion, so polling slowly adds downtime
            LockSupport.parkNanos(1_000_000L);
        }
    }
}
