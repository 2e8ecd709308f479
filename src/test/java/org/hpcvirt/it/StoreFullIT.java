package org.hpcvirt.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.hpcvirt.api.DirectoryTree;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.VmState;
import org.hpcvirt.checkpoint.CheckpointManifest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A checkpoint store that fills up: the store is a small tmpfs of its own (the test mounts it and
 * unmounts it afterwards), room for one checkpoint of the guest but not two. The second checkpoint
 * fails, and it loses nothing: the first one is still listed and verifies, the VM keeps running,
 * no half-written checkpoint is left, and once room is made again checkpoints work.
 */
class StoreFullIT {
    private static final Duration T = Duration.ofSeconds(90);
    private static Path mount;
    private static TestNode node;

    @BeforeAll
    static void boot() throws Exception {
        mount = Files.createTempDirectory(Path.of("/tmp"), "hv-full");
        run("mount", "-t", "tmpfs", "-o", "size=150m", "tmpfs", mount.toString());
        node = TestNode.create().withDaemonEnv(Map.of("HPCVIRT_STORE", mount.toString()));
        node.startDaemon();
        node.define("full", "");
        assertThat(node.client().start("full", true, T).state()).isEqualTo(VmState.RUNNING);
    }

    @AfterAll
    static void cleanUp() throws Exception {
        try {
            if (node != null) {
                node.close();
            }
        } finally {
            if (mount != null) {
                run("umount", "-l", mount.toString());
                DirectoryTree.deleteQuietly(mount);
            }
        }
    }

    private static void run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(String.join(" ", cmd) + ": " + out).isZero();
    }

    @Test
    void aFullStoreFailsTheNewCheckpointAndKeepsTheLastVerifiedOne() throws Exception {
        // a full guest memory image fills most of the store; the next one cannot fit
        node.client().exec("full", "head -c 60000000 /dev/urandom > /dev/shm/fill", Duration.ofSeconds(60));
        CheckpointManifest first = node.client().checkpoint("full", false, "first");
        assertThat(node.client().checkpointInfo(first.id(), true).id()).isEqualTo(first.id());

        assertThatThrownBy(() -> node.client().checkpoint("full", false, "second")).isInstanceOf(HpcvirtException.class)
                .as("the error says why: the store's disk, not QEMU's broken pipe").hasMessageContaining("No space left on device")
                .satisfies(e -> System.out.println("StoreFullIT: the second checkpoint failed: " + e.getMessage()));
        List<CheckpointManifest> listed = node.client().checkpoints("full");
        assertThat(listed).extracting(CheckpointManifest::id).containsExactly(first.id());
        assertThat(node.client().checkpointInfo(first.id(), true).id()).as("the last one still verifies").isEqualTo(first.id());
        assertThat(node.client().status("full").state()).isEqualTo(VmState.RUNNING);
        try (var entries = Files.list(mount)) {
            assertThat(entries.map(p -> p.getFileName().toString())).as("no half-written checkpoint is left")
                    .allMatch(n -> n.equals("layers") || n.equals(first.id()));
        }
        // room again: the next checkpoint works, and restores
        node.client().deleteCheckpoint(first.id());
        CheckpointManifest third = node.client().checkpoint("full", false, "third");
        assertThat(node.client().checkpointInfo(third.id(), true).id()).isEqualTo(third.id());
    }
}
