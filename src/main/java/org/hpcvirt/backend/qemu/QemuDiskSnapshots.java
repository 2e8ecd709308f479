package org.hpcvirt.backend.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.backend.DiskSnapshots;

/** {@link DiskSnapshots} for one QEMU: QMP block commands on its drives. One snapshot at a time per instance. */
final class QemuDiskSnapshots implements DiskSnapshots {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final QemuInstance q;
    /** Layers opened by prepareSnapshot and not yet in a chain, by node name. */
    private final Map<String, Path> prepared = new java.util.concurrent.ConcurrentHashMap<>();

    QemuDiskSnapshots(QemuInstance q) {
        this.q = q;
    }

    /**
     * {@code blockdev-snapshot-sync}: with a layer file made by {@link #prepareSnapshot}, in mode
     * {@code existing}, so that inside the pause QEMU only opens that small file; otherwise it
     * also creates the file, opening the whole backing chain to size it. (A layer opened with
     * {@code blockdev-add} instead would stay referenced by the monitor as a node of its own; with
     * a few of those in the chain, QEMU's stop and {@code cont} around every later checkpoint grew
     * by milliseconds.)
     */
    @Override
    public void snapshotDisk(String drive, Path newTop, String nodeName) {
        boolean existing = prepared.remove(nodeName) != null;
        q.execute("blockdev-snapshot-sync", Map.of("device", drive, "snapshot-file", newTop.toAbsolutePath().toString(),
                "snapshot-node-name", nodeName, "format", "qcow2", "mode", existing ? "existing" : "absolute-paths"));
    }

    /** Writes the empty overlay over the current top layer (see {@link org.hpcvirt.checkpoint.Qcow2#createOverlay}). */
    @Override
    public void prepareSnapshot(String drive, Path newTop, String nodeName) {
        Path top = topLayer(drive);
        org.hpcvirt.checkpoint.Qcow2.createOverlay(top, newTop, org.hpcvirt.checkpoint.Qcow2.virtualSize(top));
        prepared.put(nodeName, newTop);
    }

    @Override
    public void discardPrepared(String nodeName, Path newTop) {
        if (prepared.remove(nodeName) != null) {
            org.hpcvirt.api.DirectoryTree.deleteQuietly(newTop);
        }
    }

    /** QEMU names a layer whose backing differs from its header {@code json:{…"file":{"filename":F}}}; F is the file. */
    private static String plainFilename(String name) {
        if (!name.startsWith("json:")) {
            return name;
        }
        try {
            JsonNode n = JSON.readTree(name.substring(5));
            return n.path("file").path("filename").asText(name);
        } catch (java.io.IOException e) {
            return name;
        }
    }

    @Override
    public Path topLayer(String drive) {
        for (JsonNode b : q.execute("query-block", Map.of())) {
            if (drive.equals(b.path("device").asText()) && b.has("inserted")) {
                return Path.of(plainFilename(b.path("inserted").path("file").asText()));
            }
        }
        throw new HpcvirtException(ErrorCode.NOT_FOUND, "drive '" + drive + "' not found in QEMU pid " + q.pid());
    }

    /** QMP {@code block-stream} with {@code backing-file}, polled through {@code query-jobs}. */
    @Override
    public void flatten(String drive, String baseFile, Path backingName, Duration timeout) {
        String job = "hv-stream-" + System.nanoTime();
        q.execute("block-stream", Map.of("job-id", job, "device", drive, "base", baseFile,
                "backing-file", backingName.toString(), "auto-dismiss", false));
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            JsonNode found = null;
            for (JsonNode j : q.execute("query-jobs", Map.of())) {
                if (job.equals(j.path("id").asText())) {
                    found = j;
                }
            }
            if (found == null) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "block job " + job + " vanished");
            }
            String st = found.path("status").asText();
            if ("concluded".equals(st) || "null".equals(st)) {
                q.execute("job-dismiss", Map.of("id", job));
                if (found.has("error")) {
                    throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "streaming the disk failed: " + found.path("error").asText());
                }
                return;
            }
            if (System.nanoTime() > deadline) {
                q.execute("job-cancel", Map.of("id", job));
                throw new HpcvirtException(ErrorCode.TIMEOUT, "streaming the disk took longer than " + timeout.toSeconds() + " s");
            }
            java.util.concurrent.locks.LockSupport.parkNanos(2_000_000L);
        }
    }

    @Override
    public java.util.List<String> chain(String drive) {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (JsonNode b : q.execute("query-block", Map.of())) {
            if (drive.equals(b.path("device").asText()) && b.has("inserted")) {
                for (JsonNode img = b.path("inserted").path("image"); !img.isMissingNode(); img = img.path("backing-image")) {
                    out.add(plainFilename(img.path("filename").asText()));
                }
                return out;
            }
        }
        throw new HpcvirtException(ErrorCode.NOT_FOUND, "drive '" + drive + "' not found in QEMU pid " + q.pid());
    }
}
