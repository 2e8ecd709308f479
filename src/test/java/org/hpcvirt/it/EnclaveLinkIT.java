package org.hpcvirt.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.hpcvirt.api.Operation;
import org.hpcvirt.api.VmState;
import org.hpcvirt.enclave.EnclaveView;
import org.hpcvirt.guest.ExecResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Composition on real TCG guests: two performance enclaves, one core each, joined by a 1 MiB
 * shared-memory link, exchange checked messages through hpcvirt-shmring (producer in one guest,
 * consumer in the other, concurrently); bits flipped by the host in queued messages are caught
 * (checksum, sequence number); the segment lives while either end does and is gone, with both
 * cgroups, once both are destroyed.
 */
class EnclaveLinkIT {
    private static final Path CPUSET = EnclaveLeftovers.CPUSET;
    private static final String P = "encln-p";
    private static final String C = "encln-c";
    private static final String LINK = "encit-ring";
    private static final Path SEGMENT = Path.of("/dev/shm/hpcvirt-link-" + LINK);
    private static TestNode node;

    @BeforeAll
    static void startNode() throws IOException {
        node = TestNode.start();
        Files.writeString(node.layout().home().resolve("enclave-node.yaml"), "reservedCores: []\n");
    }

    @AfterAll
    static void stopNode() throws IOException {
        EnclaveLeftovers.closeAndRemove(node, List.of(P, C), List.of(SEGMENT));
    }

    private static EnclaveView create(String name, int core, String peer) {
        String yaml = "name: " + name + "\ncores: [" + core + "]\nmemory: 128M\nisolation: performance\n"
                + "links:\n  - name: " + LINK + "\n    peer: " + peer + "\n    size: 1M\n"
                + "vm:\n  backend: qemu\n  heartbeat:\n    interval: 500ms\n    timeout: 10s\n";
        return node.client().execute(new Operation.CreateEnclave(yaml, name + ".yaml", null, 120), EnclaveView.class);
    }

    @Test
    void twoPinnedEnclavesExchangeCheckedMessagesOverTheirLink() throws Exception {
        EnclaveView p = create(P, 0, C);
        assertThat(p.state()).as(node.console(P)).isEqualTo(VmState.RUNNING);
        assertThat(SEGMENT).exists();
        assertThat(Files.size(SEGMENT)).isEqualTo(1L << 20);
        EnclaveView c = create(C, 1, P);
        assertThat(c.state()).as(node.console(C)).isEqualTo(VmState.RUNNING);
        assertThat(c.vcpus()).singleElement().satisfies(t -> assertThat(t.affinity()).containsExactly(1));
        assertThat(p.vcpus()).singleElement().satisfies(t -> assertThat(t.affinity()).containsExactly(0));
        List<String> cmdline = List.of(Files.readString(Path.of("/proc", Long.toString(c.qemuPid()), "cmdline")).split("\0"));
        assertThat(cmdline).contains("ivshmem-plain,memdev=shm-" + LINK + ",id=ivshmem-" + LINK + ",master=on",
                "memory-backend-file,id=shm-" + LINK + ",size=1048576,mem-path=" + SEGMENT + ",share=on");
        assertThat(cmdline).doesNotContain("-sandbox");

        CompletableFuture<ExecResult> producer = CompletableFuture.supplyAsync(
                () -> node.client().exec(P, "hpcvirt-shmring produce 3000 120", Duration.ofSeconds(150)));
        ExecResult consumer = node.client().exec(C, "hpcvirt-shmring consume 3000 120", Duration.ofSeconds(150));
        ExecResult produced = producer.get(160, TimeUnit.SECONDS);
        assertThat(produced.output().strip()).isEqualTo("produced 3000 from 0");
        assertThat(produced.exitCode()).isZero();
        assertThat(consumer.output().strip()).isEqualTo("consumed 3000 from 0 good 3000 badsum 0 badseq 0");
        assertThat(consumer.exitCode()).isZero();

        // with master=on QEMU migrates the ivshmem device (a peer it refuses to): a linked enclave has checkpoints
        org.hpcvirt.checkpoint.CheckpointManifest ck = node.client().checkpoint(C, false, null);
        assertThat(ck.vm()).isEqualTo(C);
        assertThat(node.client().status(C).state()).isEqualTo(VmState.RUNNING);

        // bit flips in the segment, made by the host while 100 messages wait in the ring, are caught by the consumer:
        // a flipped payload bit fails the checksum, a flipped sequence bit the sequence check
        ExecResult queued = node.client().exec(P, "hpcvirt-shmring produce 100 60", Duration.ofSeconds(90));
        assertThat(queued.output().strip()).isEqualTo("produced 100 from 3000");
        long slots = ((1L << 20) - 64) / 64;
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(SEGMENT, java.nio.file.StandardOpenOption.READ,
                java.nio.file.StandardOpenOption.WRITE)) {
            flip(ch, 64 + ((3000 + 5) % slots) * 64 + 16 + 3, 0x10);
            flip(ch, 64 + ((3000 + 7) % slots) * 64, 0x01);
        }
        ExecResult checked = node.client().exec(C, "hpcvirt-shmring consume 100 60", Duration.ofSeconds(90));
        assertThat(checked.output().strip()).isEqualTo("consumed 100 from 3000 good 98 badsum 1 badseq 1");
        assertThat(checked.exitCode()).isEqualTo(1);

        // the segment outlives one end and goes with the last
        node.client().execute(new Operation.DestroyEnclave(P), Void.class);
        assertThat(SEGMENT).exists();
        assertThat(CPUSET.resolve(P)).doesNotExist();
        node.client().execute(new Operation.DestroyEnclave(C), Void.class);
        assertThat(SEGMENT).doesNotExist();
        assertThat(CPUSET.resolve(C)).doesNotExist();
        long cPid = c.qemuPid();
        long pPid = p.qemuPid();
        await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(cPid).map(x -> !x.isAlive()).orElse(true)
                && ProcessHandle.of(pPid).map(x -> !x.isAlive()).orElse(true));
    }

    private static void flip(java.nio.channels.FileChannel ch, long offset, int mask) throws IOException {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(1);
        ch.read(b, offset);
        b.put(0, (byte) (b.get(0) ^ mask));
        b.rewind();
        ch.write(b, offset);
    }
}
