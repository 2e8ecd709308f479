package org.hpcvirt.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.hpcvirt.api.Operation;
import org.hpcvirt.api.VmEvent;
import org.hpcvirt.api.VmState;
import org.hpcvirt.checkpoint.CheckpointManifest;
import org.hpcvirt.enclave.EnclaveView;
import org.hpcvirt.guest.ExecResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Linked enclaves come back from checkpoints (ivshmem-plain master=on makes them migratable, and
 * their state carries the link segment): the producer's guest kernel crashes after the pair moved
 * on from a checkpoint; under {@code restore-all} both enclaves are restored from one consistent
 * composite checkpoint, under {@code restart} the producer alone from its last checkpoint; either
 * way the segment is back at the checkpoint and the ring continues with the sequence numbers
 * after it, each enclave in its cgroup, pinned.
 */
class EnclaveRestoreIT {
    private static final String P = "encres-p";
    private static final String C = "encres-c";
    private static final String LINK = "encres-ring";
    private static final Path SEGMENT = Path.of("/dev/shm/hpcvirt-link-" + LINK);
    private static TestNode node;

    @BeforeAll
    static void startNode() throws IOException {
        node = TestNode.start();
        Files.writeString(node.layout().home().resolve("enclave-node.yaml"), "reservedCores: []\n");
    }

    @AfterEach
    void destroyPair() {
        for (String n : List.of(P, C)) {
            if (node.client().list().stream().anyMatch(s -> s.name().equals(n))) {
                node.client().execute(new Operation.DestroyEnclave(n), Void.class);
            }
        }
        assertThat(SEGMENT).doesNotExist();
    }

    @AfterAll
    static void stopNode() throws IOException {
        EnclaveLeftovers.closeAndRemove(node, List.of(P, C), List.of(SEGMENT));
    }

    private static void create(String name, int core, String peer, String policy) {
        String yaml = "name: " + name + "\ncores: [" + core + "]\nmemory: 128M\nisolation: performance\n"
                + "links:\n  - name: " + LINK + "\n    peer: " + peer + "\n    size: 64K\n    onFailure: " + policy + "\n"
                + "vm:\n  backend: qemu\n  heartbeat:\n    interval: 500ms\n    timeout: 10s\n";
        node.client().execute(new Operation.CreateEnclave(yaml, name + ".yaml", null, 120), EnclaveView.class);
    }

    /** Produces then consumes {@code n} messages (fewer than the ring's 1023 slots); returns the consumer's line. */
    private static String exchange(int n) {
        ExecResult p = node.client().exec(P, "hpcvirt-shmring produce " + n + " 60", Duration.ofSeconds(90));
        assertThat(p.exitCode()).as(p.output()).isZero();
        ExecResult c = node.client().exec(C, "hpcvirt-shmring consume " + n + " 60", Duration.ofSeconds(90));
        assertThat(c.exitCode()).as(c.output()).isZero();
        return c.output().strip();
    }

    /** The ring's {head, tail} as the segment holds them. */
    private static long[] headTail() throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(SEGMENT), 16, 16).order(ByteOrder.LITTLE_ENDIAN);
        return new long[] {b.getLong(), b.getLong()};
    }

    private static long lastEvent() {
        return node.client().events(null, 0, 100_000).stream().mapToLong(VmEvent::seq).max().orElse(0);
    }

    private static void crashTheProducersKernel(long after) {
        node.client().inject(new Operation.Inject(P, "kerncrash", "performance", null, null));
        await().atMost(Duration.ofSeconds(60)).until(() -> node.client().events(P, after, 10_000).stream()
                .anyMatch(e -> e.type() == VmEvent.Type.GUEST_PANICKED));
    }

    private static void assertPlaced(String name, int core, long oldPid) {
        EnclaveView v = node.client().execute(new Operation.ShowEnclave(name), EnclaveView.class);
        assertThat(v.state()).isEqualTo(VmState.RUNNING);
        assertThat(v.qemuPid()).isNotZero().isNotEqualTo(oldPid);
        assertThat(v.qemuInCgroup()).isTrue();
        assertThat(v.vcpus()).singleElement().satisfies(t -> assertThat(t.affinity()).containsExactly(core));
    }

    @Test
    void restoreAllBringsThePairBackFromOneConsistentCheckpoint() throws IOException {
        create(P, 0, C, "restore-all");
        create(C, 1, P, "restore-all");
        assertThat(exchange(500)).isEqualTo("consumed 500 from 0 good 500 badsum 0 badseq 0");

        CheckpointManifest[] set = node.client().execute(new Operation.CheckpointEnclave(P), CheckpointManifest[].class);
        assertThat(set).extracting(CheckpointManifest::vm).containsExactly(P, C);
        assertThat(set[0].tag()).startsWith("enclaves-").isEqualTo(set[1].tag());
        assertThat(node.client().status(P).state()).isEqualTo(VmState.RUNNING);
        assertThat(node.client().status(C).state()).isEqualTo(VmState.RUNNING);
        // the pair moves on after the checkpoint
        assertThat(exchange(300)).isEqualTo("consumed 300 from 500 good 300 badsum 0 badseq 0");
        assertThat(headTail()).containsExactly(800, 800);
        long pPid = node.client().status(P).pid();
        long cPid = node.client().status(C).pid();

        long after = lastEvent();
        crashTheProducersKernel(after);
        for (String n : List.of(P, C)) {
            await().atMost(Duration.ofSeconds(180)).until(() -> node.client().events(n, after, 10_000).stream()
                    .anyMatch(e -> e.type() == VmEvent.Type.FT_DECISION && e.message().contains("runs again from checkpoint set " + set[0].tag())));
            String id = n.equals(P) ? set[0].id() : set[1].id();
            assertThat(node.client().events(n, after, 10_000)).anySatisfy(e -> {
                assertThat(e.type()).isEqualTo(VmEvent.Type.RESTORED);
                assertThat(e.message()).startsWith("restored from checkpoint " + id);
            });
        }
        assertPlaced(P, 0, pPid);
        assertPlaced(C, 1, cPid);
        // the segment is back at the checkpoint, and the ring continues from there
        assertThat(headTail()).containsExactly(500, 500);
        assertThat(exchange(200)).isEqualTo("consumed 200 from 500 good 200 badsum 0 badseq 0");
    }

    @Test
    void restartRestoresTheFailedEnclaveFromItsLastCheckpoint() throws IOException {
        create(P, 0, C, "restart");
        create(C, 1, P, "restart");
        assertThat(exchange(400)).isEqualTo("consumed 400 from 0 good 400 badsum 0 badseq 0");
        CheckpointManifest ck = node.client().checkpoint(P, false, null);
        assertThat(exchange(100)).isEqualTo("consumed 100 from 400 good 100 badsum 0 badseq 0");
        long pPid = node.client().status(P).pid();
        long cPid = node.client().status(C).pid();

        long after = lastEvent();
        crashTheProducersKernel(after);
        await().atMost(Duration.ofSeconds(180)).until(() -> node.client().events(P, after, 10_000).stream()
                .anyMatch(e -> e.type() == VmEvent.Type.RESTORED && e.message().startsWith("restored from checkpoint " + ck.id())));
        await().atMost(Duration.ofSeconds(60)).until(() -> node.client().status(P).state() == VmState.RUNNING);
        assertThat(node.client().events(P, after, 10_000)).anySatisfy(e -> {
            assertThat(e.type()).isEqualTo(VmEvent.Type.FT_DECISION);
            assertThat(e.message()).contains("restoring it from its last checkpoint " + ck.id());
        });
        assertPlaced(P, 0, pPid);
        // the consumer ran on throughout, same process
        assertThat(node.client().status(C).pid()).isEqualTo(cPid);
        assertThat(node.client().status(C).state()).isEqualTo(VmState.RUNNING);
        // the producer's restore wrote the segment of its checkpoint back: the ring continues from there
        assertThat(headTail()).containsExactly(400, 400);
        assertThat(exchange(200)).isEqualTo("consumed 200 from 400 good 200 badsum 0 badseq 0");
    }

    @Test
    void aCheckpointOfAnEarlierEnclaveOfTheSameNameIsNotRestored() {
        create(P, 0, C, "restart");
        create(C, 1, P, "restart");
        CheckpointManifest old = node.client().checkpoint(P, false, null);
        for (String n : List.of(P, C)) {
            node.client().execute(new Operation.DestroyEnclave(n), Void.class);
        }
        // a new pair of the same names, on a new segment: the old producer's checkpoint holds another ring
        create(P, 0, C, "restart");
        create(C, 1, P, "restart");
        long after = lastEvent();
        crashTheProducersKernel(after);
        await().atMost(Duration.ofSeconds(180)).until(() -> node.client().events(P, after, 10_000).stream()
                .anyMatch(e -> e.type() == VmEvent.Type.FT_DECISION && e.message().contains("no checkpoint: booting it afresh")));
        assertThat(node.client().events(P, after, 10_000)).noneMatch(e -> e.message().contains(old.id()));
        await().atMost(Duration.ofSeconds(120)).until(() -> node.client().status(P).state() == VmState.RUNNING);
        assertThat(exchange(100)).isEqualTo("consumed 100 from 0 good 100 badsum 0 badseq 0");
    }
}
