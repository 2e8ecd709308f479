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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.hpcvirt.api.Operation;
import org.hpcvirt.api.VmEvent;
import org.hpcvirt.api.VmState;
import org.hpcvirt.enclave.EnclaveView;
import org.hpcvirt.enclave.LinkPolicy;
import org.hpcvirt.guest.ExecResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The error policy of a link, executed by the daemon: the producer's QEMU is killed (SIGKILL), or
 * its guest kernel crashes (kerncrash), while the consumer waits on the ring; isolate leaves the consumer running and its ring reports
 * the dead segment, freeze pauses the consumer, cascade stops it, restart brings the producer back
 * (from its checkpoint, or booted afresh) in its cgroup, pinned, exchanging checked messages
 * again. Each decision is an FT_DECISION
 * event on the consumer.
 */
class EnclavePolicyIT {
    private static final Path CPUSET = EnclaveLeftovers.CPUSET;
    private static final String P = "encpol-p";
    private static final String C = "encpol-c";
    private static final String LINK = "encpol-ring";
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
        assertThat(CPUSET.resolve(P)).doesNotExist();
        assertThat(CPUSET.resolve(C)).doesNotExist();
    }

    @AfterAll
    static void stopNode() throws IOException {
        EnclaveLeftovers.closeAndRemove(node, List.of(P, C), List.of(SEGMENT));
    }

    private static EnclaveView create(String name, int core, String peer, LinkPolicy policy) {
        String yaml = "name: " + name + "\ncores: [" + core + "]\nmemory: 128M\nisolation: performance\n"
                + "links:\n  - name: " + LINK + "\n    peer: " + peer + "\n    size: 64K\n    onFailure: " + policy.id() + "\n"
                + "vm:\n  backend: qemu\n  heartbeat:\n    interval: 500ms\n    timeout: 10s\n";
        return node.client().execute(new Operation.CreateEnclave(yaml, name + ".yaml", null, 120), EnclaveView.class);
    }

    /** The consumer's FT_DECISION events after sequence number {@code after} (earlier runs used the same names). */
    private static List<VmEvent> decisions(long after) {
        return node.client().events(C, after, 10_000).stream().filter(e -> e.type() == VmEvent.Type.FT_DECISION).toList();
    }

    @ParameterizedTest(name = "{0} after {1}")
    @CsvSource({"ISOLATE, kill", "FREEZE, kill", "CASCADE, kill", "RESTART, kill",
        "ISOLATE, kerncrash", "FREEZE, kerncrash", "CASCADE, kerncrash", "RESTART, kerncrash"})
    void aFailedProducerRunsTheLinksPolicyOnTheConsumer(LinkPolicy policy, String failure) throws Exception {
        long after = node.client().events(null, 0, 100_000).stream().mapToLong(VmEvent::seq).max().orElse(0);
        EnclaveView p = create(P, 0, C, policy);
        EnclaveView c = create(C, 1, P, policy);
        assertThat(c.state()).as(node.console(C)).isEqualTo(VmState.RUNNING);
        CompletableFuture<ExecResult> consumer = policy == LinkPolicy.ISOLATE
                ? CompletableFuture.supplyAsync(() -> node.client().exec(C, "hpcvirt-shmring consume 1000 60", Duration.ofSeconds(90)))
                : null;
        VmState failed;
        String event;
        if (failure.equals("kill")) {
            ProcessHandle.of(p.qemuPid()).orElseThrow().destroyForcibly();
            failed = VmState.CRASHED;
            event = "QEMU_EXITED";
        } else {
            // a fault in the producer's guest kernel: the guest panics, QEMU keeps it for inspection
            node.client().inject(new Operation.Inject(P, "kerncrash", "performance", null, null));
            failed = VmState.PANICKED;
            event = "GUEST_PANICKED";
        }
        // the failure's event, not the state: restart may have moved the producer on already
        await().atMost(Duration.ofSeconds(60)).until(() -> node.client().events(P, after, 10_000).stream()
                .anyMatch(e -> e.type().name().equals(event) && e.state() == failed));
        switch (policy) {
            case ISOLATE -> {
                ExecResult r = consumer.get(100, TimeUnit.SECONDS);
                assertThat(r.output().strip()).endsWith("peer dead");
                assertThat(r.exitCode()).isEqualTo(4);
                assertThat(node.client().status(C).state()).isEqualTo(VmState.RUNNING);
                ByteBuffer head = ByteBuffer.wrap(Files.readAllBytes(SEGMENT), 0, 8).order(ByteOrder.LITTLE_ENDIAN);
                assertThat(head.getLong()).isEqualTo(LinkPolicy.DEAD_MAGIC);
            }
            case FREEZE -> await().atMost(Duration.ofSeconds(30)).until(() -> node.client().status(C).state() == VmState.PAUSED);
            case CASCADE -> await().atMost(Duration.ofSeconds(30)).until(() -> node.client().status(C).state() == VmState.STOPPED);
            case RESTART -> {
                await().atMost(Duration.ofSeconds(120)).until(() -> node.client().status(P).state() == VmState.RUNNING);
                EnclaveView back = node.client().execute(new Operation.ShowEnclave(P), EnclaveView.class);
                assertThat(back.qemuPid()).isNotEqualTo(p.qemuPid());
                assertThat(back.qemuInCgroup()).isTrue();
                assertThat(back.vcpus()).singleElement().satisfies(t -> assertThat(t.affinity()).containsExactly(0));
                assertThat(node.client().status(C).state()).isEqualTo(VmState.RUNNING);
                // an enclave with a link has no checkpoint (QEMU refuses to migrate ivshmem in peer mode): it boots afresh
                String how = "no checkpoint: booting it afresh";
                assertThat(node.client().events(P, after, 10_000)).anySatisfy(e -> {
                    assertThat(e.type()).isEqualTo(VmEvent.Type.FT_DECISION);
                    assertThat(e.message()).contains(how);
                });
                // the restarted producer maps the same segment: the pair exchanges checked messages again
                CompletableFuture<ExecResult> prod = CompletableFuture.supplyAsync(
                        () -> node.client().exec(P, "hpcvirt-shmring produce 500 60", Duration.ofSeconds(90)));
                ExecResult got = node.client().exec(C, "hpcvirt-shmring consume 500 60", Duration.ofSeconds(90));
                assertThat(prod.get(100, TimeUnit.SECONDS).exitCode()).isZero();
                assertThat(got.output().strip()).endsWith("good 500 badsum 0 badseq 0");
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> !decisions(after).isEmpty());
        assertThat(decisions(after)).singleElement().satisfies(e -> {
            assertThat(e.message()).startsWith("link '" + LINK + "': enclave '" + P + "' failed (" + event + ", " + failed + "); policy "
                    + policy.id());
            assertThat(e.data()).containsEntry("policy", policy.id()).containsEntry("failed", P);
        });
    }
}
