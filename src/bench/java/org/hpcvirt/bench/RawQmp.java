package org.hpcvirt.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.backend.qemu.QmpConnection;

/**
 * What the benchmarks' raw-QEMU baselines do the way a plain QMP client would, without hpcvirt's
 * machinery (no events): poll {@code query-migrate}.
 */
final class RawQmp {
    private static final Duration QMP = Duration.ofSeconds(30);

    private RawQmp() {
    }

    /**
     * Polls {@code query-migrate} every millisecond until {@code completed}; fails if the migration
     * failed, was cancelled or took over two minutes.
     *
     * @return the last {@code query-migrate} answer
     */
    static JsonNode awaitMigration(QmpConnection q) {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (true) {
            JsonNode st = q.execute("query-migrate", Map.of(), QMP);
            String status = st.path("status").asText("none");
            if (status.equals("completed")) {
                return st;
            }
            if (status.equals("failed") || status.equals("cancelled") || System.nanoTime() > deadline) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "raw migration ended " + status + ": " + st);
            }
            LockSupport.parkNanos(1_000_000L);
        }
    }
}
