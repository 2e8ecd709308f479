package org.hpcvirt.access;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Json;
import org.hpcvirt.api.Operation;
import org.hpcvirt.api.RequestContext;
import org.hpcvirt.vm.Dispatcher;

/**
 * The record of every operation the node ran, with its caller: one JSON object per line in
 * {@code audit.log} (mode 0600) with the time, the caller's name and uid (-1 for nodes, tokens and
 * the daemon itself), the transport, the operation, the VM or checkpoint it named, how long it took
 * and its outcome ({@code ok} or the error code). Refused requests are recorded as well. The file
 * is opened in append mode once, so {@code logrotate}'s {@code copytruncate} works. Thread-safe;
 * the owner closes it.
 */
public final class AuditLog implements Dispatcher.Observer, AutoCloseable {
    private final Path file;
    private final FileChannel out;
    private final ObjectMapper json = Json.mapper();
    private volatile String lastFailure;

    /** Opens (creating with mode 0600) {@code file} for appending. */
    public AuditLog(Path file) {
        this.file = file;
        try {
            if (!Files.exists(file)) {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            }
            this.out = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot open the audit log " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void executed(Operation op, RequestContext ctx, long nanos, RuntimeException error) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("time", Instant.now().toString());
        r.put("uid", ctx.caller().uid());
        r.put("caller", ctx.caller().name());
        r.put("transport", ctx.transport());
        r.put("operation", op.getClass().getSimpleName());
        String target = target(op);
        if (target != null) {
            r.put("target", target);
        }
        r.put("ms", nanos / 1_000_000.0);
        r.put("outcome", error == null ? "ok" : error instanceof HpcvirtException h ? h.code().name() : "INTERNAL");
        try {
            byte[] line = (json.writeValueAsString(r) + "\n").getBytes(StandardCharsets.UTF_8);
            synchronized (out) {
                ByteBuffer b = ByteBuffer.wrap(line);
                while (b.hasRemaining()) {
                    out.write(b);
                }
            }
        } catch (IOException e) {
            // an operation must not fail because its record could not be written; the failure is kept for status
            lastFailure = Instant.now() + ": " + e.getMessage();
        }
    }

    /** When and why a record could last not be written, or null. */
    public String lastFailure() {
        return lastFailure;
    }

    /** The log file. */
    public Path file() {
        return file;
    }

    private static String target(Operation op) {
        if (op instanceof Operation.VmOperation v) {
            return v.name();
        }
        if (op instanceof Operation.Restore r) {
            return r.id();
        }
        if (op instanceof Operation.GetCheckpoint g) {
            return g.id();
        }
        if (op instanceof Operation.DeleteCheckpoint d) {
            return d.id();
        }
        if (op instanceof Operation.PruneCheckpoints p) {
            return p.vm();
        }
        return null;
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException e) {
            // nothing left to record into
        }
    }
}
