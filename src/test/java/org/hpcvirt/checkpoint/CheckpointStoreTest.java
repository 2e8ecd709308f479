package org.hpcvirt.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.hpcvirt.api.ErrorCode;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Store bookkeeping on real qcow2 chains (made with qemu-img); no VM involved. */
class CheckpointStoreTest {
    @TempDir
    Path dir;
    private CheckpointStore store;
    private Path base;

    @BeforeEach
    void setUp() throws Exception {
        store = new CheckpointStore(dir.resolve("store"));
        base = dir.resolve("base.img");
        try (RandomAccessFile f = new RandomAccessFile(base.toFile(), "rw")) {
            f.setLength(1 << 20);
        }
    }

    /** A chain of {@code n} qcow2 layers on the raw base, bottom first. */
    private List<Path> chain(String vm, int n) {
        List<Path> out = new ArrayList<>();
        Path below = base;
        for (int i = 0; i < n; i++) {
            Path l = store.newLayer(vm);
            Qcow2.createOverlay(below, l, 1 << 20);
            out.add(l);
            below = l;
        }
        return out;
    }

    /** Commits a checkpoint of {@code vm} whose disk chain is {@code layers}. */
    private CheckpointManifest commit(String vm, List<Path> layers) throws Exception {
        CheckpointStore.Pending p = store.begin(vm);
        Files.writeString(p.stateFile(), "state of " + vm);
        List<CheckpointManifest.FileEntry> files = new ArrayList<>();
        CheckpointManifest.FileEntry st = store.describe(p.stateFile());
        files.add(new CheckpointManifest.FileEntry(p.id() + "/" + CheckpointManifest.STATE_FILE, st.size(), st.sha256()));
        List<String> rel = new ArrayList<>();
        for (Path l : layers) {
            rel.add(store.relative(l));
            files.add(store.describe(l));
        }
        CheckpointManifest m = new CheckpointManifest(CheckpointManifest.FORMAT, p.id(), vm, null, Instant.now(), null, "qemu",
                "7.2.0", false, 1, 1, st.size(), -1, -1, -1, base.toString(), 1 << 20, rel, files, "root");
        return store.commit(p, m);
    }

    @Test
    void deletingACheckpointDeletesItsWholeUnneededChainWhateverTheOrder() throws Exception {
        List<Path> old = chain("vm", 3);
        CheckpointManifest a = commit("vm", old);
        // a later full checkpoint on a new chain, as after flattening
        CheckpointManifest b = commit("vm", chain("vm", 1));
        assertThat(store.delete(a.id())).contains(a.id() + "/");
        for (Path l : old) {
            assertThat(l).as("layer of the deleted checkpoint's chain").doesNotExist();
        }
        store.verify(b);
    }

    @Test
    void layersAnotherCheckpointOrLayerNeedsStay() throws Exception {
        List<Path> c = chain("vm", 2);
        CheckpointManifest first = commit("vm", c.subList(0, 1));
        CheckpointManifest second = commit("vm", c);
        // a VM's writable top on the second layer, listed by no checkpoint
        Path top = store.newLayer("vm");
        Qcow2.createOverlay(c.get(1), top, 1 << 20);
        store.delete(second.id());
        assertThat(c.get(1)).as("backing of a live top layer").exists();
        assertThat(c.get(0)).exists();
        store.verify(first);
    }

    @Test
    void checkPresentCatchesTruncationWithoutReadingAndVerifyCatchesAFlippedByte() throws Exception {
        CheckpointManifest m = commit("vm", chain("vm", 1));
        Path state = store.resolve(m.stateFile());
        store.checkPresent(m);
        try (RandomAccessFile f = new RandomAccessFile(state.toFile(), "rw")) {
            f.seek(0);
            f.write('S');
        }
        store.checkPresent(m);
        assertThatThrownBy(() -> store.verify(m)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("corrupted").hasMessageContaining(state.toString())
                .satisfies(e -> assertThat(((CheckpointException) e).code()).isEqualTo(ErrorCode.REFUSED));
        store.verify(m, m.stateFile());
        try (RandomAccessFile f = new RandomAccessFile(state.toFile(), "rw")) {
            f.setLength(3);
        }
        assertThatThrownBy(() -> store.checkPresent(m)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining(state.toString()).hasMessageContaining("3 bytes");
    }
}
