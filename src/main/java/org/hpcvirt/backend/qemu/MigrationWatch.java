package org.hpcvirt.backend.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/**
 * One QEMU's migration status, learnt from its {@code MIGRATION} events (capability
 * {@code events}), and waiting for a status. Events arrive the moment QEMU changes state, so a
 * waiter sees {@code pre-switchover} or {@code completed} without polling, and never interrupts an
 * incoming migration (which runs in QEMU's main loop) with {@code query-migrate} calls. If no event
 * arrives for a while, the status is read with {@code query-migrate}, so a lost or disabled event
 * costs time, not correctness.
 *
 * <p>Thread-safe. QMP commands are never sent while the monitor is held: events are delivered on
 * the QMP reader thread, which must not wait for a waiter.
 */
final class MigrationWatch {
    private static final long SLICE_NANOS = Duration.ofMillis(100).toNanos();

    private final QemuInstance q;
    private String status = "none";
    private long changes;
    /** QEMU's timestamp of each status of the current migration, as its events reported them. */
    private final Map<String, java.time.Instant> reachedAt = new java.util.HashMap<>();

    MigrationWatch(QemuInstance q) {
        this.q = q;
    }

    /** From the QMP reader thread: a {@code MIGRATION} event's status and QEMU's timestamp of it. */
    synchronized void onEvent(String newStatus, java.time.Instant at) {
        reachedAt.put(newStatus, at);
        status = newStatus;
        changes++;
        notifyAll();
    }

    /** Ends a wait as failed because our end of the stream broke (QEMU may wait for it forever). */
    synchronized void failLocally() {
        status = "failed";
        changes++;
        notifyAll();
    }

    /** Forgets the previous migration's outcome; call before {@code migrate} or {@code migrate-incoming}. */
    synchronized void reset() {
        reachedAt.clear();
        status = "none";
        changes++;
    }

    /** QEMU's timestamp of the event that reported {@code status} in the current migration, or null. */
    synchronized java.time.Instant reachedAt(String status) {
        return reachedAt.get(status);
    }

    /**
     * Waits until the status is {@code wanted}; fails if the migration failed, was cancelled or
     * completed first (unless that is what is wanted), and on timeout (without cancelling).
     */
    void await(String wanted, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String s = waitForChange(wanted, Math.min(SLICE_NANOS, deadline - System.nanoTime()));
            if (s == null) {
                s = poll();
            }
            if (s.equals(wanted)) {
                return;
            }
            if (s.equals("failed") || s.equals("cancelled") || s.equals("completed")) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "migration " + s
                        + (wanted.equals("completed") ? "" : " while waiting for " + wanted) + errorDesc());
            }
            if (System.nanoTime() > deadline) {
                throw new HpcvirtException(ErrorCode.TIMEOUT, "migration did not reach " + wanted + " within "
                        + timeout.toSeconds() + " s (status " + s + ")");
            }
        }
    }

    /**
     * Waits for {@code completed}; cancels the migration on timeout, fails with QEMU's error
     * description if it failed.
     */
    void awaitCompleted(Duration timeout) {
        try {
            await("completed", timeout);
        } catch (HpcvirtException e) {
            if (e.code() == ErrorCode.TIMEOUT) {
                try {
                    q.execute("migrate_cancel", Map.of());
                } catch (HpcvirtException ignored) {
                    // already ending; the timeout is what we report
                }
            }
            throw e;
        }
    }

    /**
     * The status once it is {@code wanted} or terminal, or null if it did not change to one of
     * those within {@code nanos}.
     */
    private synchronized String waitForChange(String wanted, long nanos) {
        long end = System.nanoTime() + Math.max(0, nanos);
        while (!status.equals(wanted) && !terminal(status)) {
            long left = end - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            try {
                wait(Math.max(1, left / 1_000_000L));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "interrupted while waiting for the migration");
            }
        }
        return status;
    }

    private static boolean terminal(String s) {
        return s.equals("failed") || s.equals("cancelled") || s.equals("completed");
    }

    /** Reads the status with query-migrate (outside the monitor) and records it unless an event came meanwhile. */
    private String poll() {
        long seen;
        synchronized (this) {
            seen = changes;
        }
        String s = q.execute("query-migrate", Map.of()).path("status").asText("none");
        synchronized (this) {
            if (changes == seen && !status.equals(s)) {
                status = s;
                changes++;
            }
            return status;
        }
    }

    private String errorDesc() {
        JsonNode st = q.execute("query-migrate", Map.of());
        return st.has("error-desc") ? ": " + st.get("error-desc").asText() : "";
    }

    /**
     * {@code query-migrate} once {@code total-time} is filled in: QEMU sets the status to
     * completed before it computes {@code total-time} and {@code downtime} (migration_completion,
     * then migration_calculate_complete). Asks again for up to a second. The incoming side has no
     * times at all.
     */
    static JsonNode withTimes(QemuInstance q) {
        long deadline = System.nanoTime() + Duration.ofSeconds(1).toNanos();
        JsonNode cur = q.execute("query-migrate", Map.of());
        while (cur.path("total-time").asLong(0) == 0 && cur.has("ram") && System.nanoTime() < deadline) {
            LockSupport.parkNanos(1_000_000L);
            cur = q.execute("query-migrate", Map.of());
        }
        return cur;
    }
}
