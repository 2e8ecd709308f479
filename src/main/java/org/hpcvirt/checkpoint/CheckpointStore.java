package org.hpcvirt.checkpoint;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.hpcvirt.api.DirectoryTree;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Json;

/**
 * A directory of checkpoints, possibly on storage shared by several nodes:
 *
 * <pre>
 * STORE/ID/manifest.json   complete checkpoints (manifest written last, then the directory renamed)
 * STORE/ID/state.bin       RAM and device state
 * STORE/.tmp-ID/           a checkpoint being written; never listed
 * STORE/layers/*.qcow2     disk layers: frozen ones shared by checkpoints, and VMs' current top layers
 * </pre>
 *
 * Thread-safe: every method works on the file system only; writers of different checkpoints do
 * not share files. Deleting keeps every layer that a remaining checkpoint or another layer still
 * needs.
 */
public final class CheckpointStore {
    /** Manifest file name. */
    public static final String MANIFEST = "manifest.json";
    private static final String TMP_PREFIX = ".tmp-";
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+-]{0,120}");
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS").withZone(ZoneOffset.UTC);

    private final Path root;
    private final ObjectMapper json = Json.mapper();

    /** A store at {@code root}; created on first write. */
    public CheckpointStore(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    /** Directory of disk layers. */
    public Path layersDir() {
        return root.resolve("layers");
    }

    /** A new, not yet existing layer file name for {@code vm}. */
    public Path newLayer(String vm) {
        mkdirs(layersDir());
        return layersDir().resolve(vm + "-" + UUID.randomUUID().toString().substring(0, 8) + ".qcow2");
    }

    /** Relative name of a file under the root (for manifests). */
    public String relative(Path file) {
        Path f = file.toAbsolutePath().normalize();
        if (!f.startsWith(root)) {
            throw new HpcvirtException(ErrorCode.INTERNAL, f + " is outside the checkpoint store " + root);
        }
        return root.relativize(f).toString();
    }

    // ---------------------------------------------------------------- writing

    /** A checkpoint being written: its id and temporary directory. Abort or commit it. */
    public record Pending(String id, Path dir) {
        /** Where the RAM/device state goes. */
        public Path stateFile() {
            return dir.resolve(CheckpointManifest.STATE_FILE);
        }
    }

    /** Reserves an id for a checkpoint of {@code vm} and creates its temporary directory. */
    public Pending begin(String vm) {
        mkdirs(root);
        String id = vm + "-" + STAMP.format(Instant.now()) + "-" + UUID.randomUUID().toString().substring(0, 4);
        Path dir = root.resolve(TMP_PREFIX + id);
        mkdirs(dir);
        return new Pending(id, dir);
    }

    /**
     * Writes the manifest into the pending directory, fsyncs every file there and the directory,
     * renames it to its final name and fsyncs the store directory. Layers named by the manifest
     * are fsynced too. Only after this returns is the checkpoint listed.
     */
    public CheckpointManifest commit(Pending p, CheckpointManifest m) {
        try {
            Path manifest = p.dir().resolve(MANIFEST);
            Files.write(manifest, json.writerWithDefaultPrettyPrinter().writeValueAsBytes(m));
            try (Stream<Path> s = Files.list(p.dir())) {
                for (Path f : s.toList()) {
                    fsync(f);
                }
            }
            for (String layer : m.layers()) {
                fsync(root.resolve(layer));
            }
            fsync(p.dir());
            Path target = root.resolve(p.id());
            try {
                Files.move(p.dir(), target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "checkpoint store " + root + " cannot rename atomically", e);
            }
            fsync(root);
            return m;
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot write checkpoint " + p.id() + " to " + root, e);
        }
    }

    /** Deletes a pending checkpoint's temporary directory. Never fails. */
    public void abort(Pending p) {
        try {
            DirectoryTree.delete(p.dir());
        } catch (RuntimeException e) {
            // leftovers are never listed; prune removes them
        }
    }

    // ---------------------------------------------------------------- reading

    /** Complete checkpoints, oldest first; of one VM if {@code vm} is not null. */
    public List<CheckpointManifest> list(String vm) {
        List<CheckpointManifest> out = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return out;
        }
        try (Stream<Path> s = Files.list(root)) {
            for (Path d : s.toList()) {
                String n = d.getFileName().toString();
                if (n.startsWith(".") || !Files.isRegularFile(d.resolve(MANIFEST))) {
                    continue;
                }
                try {
                    CheckpointManifest m = read(d);
                    if (vm == null || vm.equals(m.vm())) {
                        out.add(m);
                    }
                } catch (HpcvirtException e) {
                    // an unreadable manifest is not listed; get(id) says why
                }
            }
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot list " + root, e);
        }
        out.sort(Comparator.comparing(CheckpointManifest::created).thenComparing(CheckpointManifest::id));
        return out;
    }

    /** The checkpoint {@code id}; NOT_FOUND if there is no complete checkpoint of that id. */
    public CheckpointManifest get(String id) {
        if (!ID.matcher(id).matches()) {
            throw HpcvirtException.invalid("'" + id + "' is not a checkpoint id");
        }
        Path d = root.resolve(id);
        if (!Files.isRegularFile(d.resolve(MANIFEST))) {
            throw HpcvirtException.notFound("checkpoint '" + id + "' (in " + root + ")");
        }
        return read(d);
    }

    private CheckpointManifest read(Path dir) {
        CheckpointManifest m;
        try {
            m = json.readValue(dir.resolve(MANIFEST).toFile(), CheckpointManifest.class);
        } catch (IOException e) {
            throw new CheckpointException("checkpoint " + dir.getFileName() + ": unreadable manifest (" + e.getMessage() + ")");
        }
        if (m.format() != CheckpointManifest.FORMAT) {
            throw new CheckpointException("checkpoint " + dir.getFileName() + " has format " + m.format()
                    + "; this hpcvirt reads format " + CheckpointManifest.FORMAT);
        }
        return m;
    }

    /** Absolute path of a manifest's relative file name. */
    public Path resolve(String relative) {
        return root.resolve(relative);
    }

    /**
     * Checks that every file of {@code m} exists with its recorded size and SHA-256.
     *
     * @throws CheckpointException naming the first file that is missing or differs
     */
    public void verify(CheckpointManifest m) {
        verify(m, null);
    }

    /**
     * Like {@link #verify(CheckpointManifest)} but leaves out the file {@code except} (a relative
     * path of the manifest), which the caller checks itself, e.g. while streaming it.
     */
    public void verify(CheckpointManifest m, String except) {
        checkPresent(m);
        for (CheckpointManifest.FileEntry f : m.files()) {
            if (f.path().equals(except)) {
                continue;
            }
            Path p = root.resolve(f.path());
            CheckpointManifest.FileEntry actual = describe(p);
            if (actual.size() != f.size() || !actual.sha256().equals(f.sha256())) {
                throw new CheckpointException("checkpoint " + m.id() + " is corrupted: " + p + " has SHA-256 "
                        + actual.sha256().substring(0, 12) + "… (" + actual.size() + " bytes), the manifest says "
                        + f.sha256().substring(0, 12) + "… (" + f.size() + " bytes); refusing to use it");
            }
        }
    }

    /**
     * Checks, without reading them, that every file of {@code m} exists with its recorded size: the
     * cheap test that catches a missing or truncated file before anything starts.
     *
     * @throws CheckpointException naming the first file that is missing or has another size
     */
    public void checkPresent(CheckpointManifest m) {
        for (CheckpointManifest.FileEntry f : m.files()) {
            Path p = root.resolve(f.path());
            if (!Files.isRegularFile(p)) {
                throw new CheckpointException("checkpoint " + m.id() + " is incomplete: " + p + " is missing");
            }
            long size;
            try {
                size = Files.size(p);
            } catch (IOException e) {
                throw new CheckpointException("checkpoint " + m.id() + ": cannot read " + p + " (" + e.getMessage() + ")");
            }
            if (size != f.size()) {
                throw new CheckpointException("checkpoint " + m.id() + " is corrupted: " + p + " has " + size
                        + " bytes, the manifest says " + f.size() + "; refusing to use it");
            }
        }
    }

    /** Size and SHA-256 of a file under the root. */
    public CheckpointManifest.FileEntry describe(Path file) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        long size = 0;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
            while (ch.read(buf) > 0) {
                buf.flip();
                size += buf.remaining();
                md.update(buf);
                buf.clear();
            }
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot read " + file, e);
        }
        return new CheckpointManifest.FileEntry(relativeOrAbsolute(file), size, HexFormat.of().formatHex(md.digest()));
    }

    private String relativeOrAbsolute(Path file) {
        Path f = file.toAbsolutePath().normalize();
        return f.startsWith(root) ? root.relativize(f).toString() : f.toString();
    }

    // ---------------------------------------------------------------- deleting

    /**
     * Deletes checkpoint {@code id} and those of its layers that no remaining checkpoint lists and
     * no other layer has as backing file.
     *
     * @return the files deleted, relative to the root
     */
    public List<String> delete(String id) {
        CheckpointManifest m = get(id);
        DirectoryTree.delete(root.resolve(id));
        List<String> deleted = new ArrayList<>();
        deleted.add(id + "/");
        deleted.addAll(collectLayers(new ArrayList<>(m.layers())));
        return deleted;
    }

    /**
     * Keeps the newest {@code keep} checkpoints of {@code vm} and deletes the others (suspend
     * checkpoints count like any other), plus temporary directories older than an hour.
     *
     * @return ids of the deleted checkpoints
     */
    public List<String> prune(String vm, int keep) {
        if (keep < 0) {
            throw HpcvirtException.invalid("--keep must be 0 or more, not " + keep);
        }
        List<CheckpointManifest> all = list(vm);
        List<String> gone = new ArrayList<>();
        for (int i = 0; i < all.size() - keep; i++) {
            delete(all.get(i).id());
            gone.add(all.get(i).id());
        }
        removeStaleTemporaries();
        return gone;
    }

    private void removeStaleTemporaries() {
        try (Stream<Path> s = Files.list(root)) {
            Instant limit = Instant.now().minusSeconds(3600);
            for (Path d : s.toList()) {
                if (d.getFileName().toString().startsWith(TMP_PREFIX)
                        && Files.getLastModifiedTime(d).toInstant().isBefore(limit)) {
                    DirectoryTree.delete(d);
                }
            }
        } catch (IOException e) {
            // best effort
        }
    }

    /** Deletes candidates no checkpoint and no layer needs, then their backing files likewise. */
    private List<String> collectLayers(List<String> candidates) {
        List<String> deleted = new ArrayList<>();
        Set<String> needed = new HashSet<>();
        for (CheckpointManifest c : list(null)) {
            needed.addAll(c.layers());
        }
        boolean progress = true;
        while (progress) {
            progress = false;
            Set<Path> backings = new HashSet<>();
            try (Stream<Path> s = Files.isDirectory(layersDir()) ? Files.list(layersDir()) : Stream.empty()) {
                for (Path l : s.toList()) {
                    Path b = Qcow2.isQcow2(l) ? Qcow2.backingOf(l) : null;
                    if (b != null) {
                        backings.add(b.toAbsolutePath().normalize());
                    }
                }
            } catch (IOException e) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot list " + layersDir(), e);
            }
            for (String c : List.copyOf(candidates)) {
                Path p = root.resolve(c).normalize();
                if (needed.contains(c)) {
                    candidates.remove(c);
                    continue;
                }
                if (backings.contains(p)) {
                    continue; // perhaps free once the layer on top of it is deleted in this pass
                }
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot delete " + p, e);
                }
                deleted.add(c);
                candidates.remove(c);
                progress = true;
            }
        }
        return deleted;
    }

    // ---------------------------------------------------------------- files

    /** fsync of a file or directory. */
    public static void fsync(Path p) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    private static void mkdirs(Path d) {
        try {
            Files.createDirectories(d);
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot create " + d, e);
        }
    }

}
