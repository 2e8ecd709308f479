package org.hpcvirt.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import org.hpcvirt.api.VmEvent;
import org.hpcvirt.api.VmState;
import org.hpcvirt.guest.ExecResult;
import org.hpcvirt.vm.VmStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The daemon's live fault-tolerance executor on one node with a real guest: a hybrid policy takes
 * periodic checkpoints, restarts the VM from its latest checkpoint after QEMU is killed, and pauses
 * it to storage (and wakes it) on a trusted prediction. Every decision is an FT_DECISION event.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FtLiveIT {
    private static TestNode node;
    private static String nodeName;

    @BeforeAll
    static void start() {
        node = TestNode.start();
        nodeName = node.client().ft().path("node").asText();
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
    }

    private static List<VmEvent> decisions() {
        return node.client().events("ftvm", 0, 10_000).stream().filter(e -> e.type() == VmEvent.Type.FT_DECISION).toList();
    }

    private static VmStatus status() {
        return node.client().status("ftvm");
    }

    @Test
    @Order(1)
    void periodicCheckpointsAreTaken() {
        node.define("ftvm", "disk:\n  size: 64M\nft:\n  policy: hybrid\n  period: 3s\n  action: pause\n");
        node.client().start("ftvm", true, Duration.ofSeconds(90));
        await().atMost(Duration.ofSeconds(60)).until(() -> decisions().stream().filter(d -> d.message().startsWith("checkpoint done")).count() >= 2);
        assertThat(decisions().get(0).message()).contains("watching with policy hybrid").contains("period 3s");
        assertThat(node.client().ft().path("watched").toString()).contains("ftvm");
    }

    @Test
    @Order(2)
    void anUnpredictedQemuKillRestartsTheVmFromItsLatestCheckpoint() throws Exception {
        ExecResult w = node.client().exec("ftvm", "echo kept > /data/kept && sync", Duration.ofSeconds(30));
        assertThat(w.exitCode()).isZero();
        long done = decisions().stream().filter(d -> d.message().startsWith("checkpoint done")).count();
        // a checkpoint after the write, so the file is in the restart point
        await().atMost(Duration.ofSeconds(30)).until(() -> decisions().stream().filter(d -> d.message().startsWith("checkpoint done")).count() > done);
        long seqBefore = status().lastHeartbeatSeq();
        long pid = status().pid();
        new ProcessBuilder("kill", "-KILL", Long.toString(pid)).start().waitFor();
        await().atMost(Duration.ofSeconds(60)).until(() -> decisions().stream().anyMatch(d -> d.message().startsWith("restarted on node")));
        await().atMost(Duration.ofSeconds(30)).until(() -> status().state() == VmState.RUNNING && status().pid() != pid);
        assertThat(decisions()).anySatisfy(d -> assertThat(d.message()).contains("failure detected on node " + nodeName));
        VmEvent restored = node.client().events("ftvm", 0, 10_000).stream().filter(e -> e.type() == VmEvent.Type.RESTORED)
                .reduce((a, b) -> b).orElseThrow();
        long seqAtCheckpoint = ((Number) restored.data().get("heartbeatSeq")).longValue();
        assertThat(seqAtCheckpoint).isPositive().isLessThanOrEqualTo(seqBefore);
        // the guest continues from the checkpoint: its heartbeat sequence goes on from there, it did not start over
        await().atMost(Duration.ofSeconds(10)).until(() -> status().lastHeartbeatSeq() > seqAtCheckpoint);
        assertThat(node.client().exec("ftvm", "cat /data/kept", Duration.ofSeconds(30)).output()).contains("kept");
    }

    @Test
    @Order(3)
    void aTrustedPredictionPausesTheVmToStorageAndWakesIt() {
        long pid = status().pid();
        node.client().predict(nodeName, Duration.ofSeconds(60), 0.95);
        await().atMost(Duration.ofSeconds(60)).until(() -> decisions().stream().anyMatch(d -> d.message().contains("pause to storage and resume done")));
        await().atMost(Duration.ofSeconds(30)).until(() -> status().state() == VmState.RUNNING);
        assertThat(status().pid()).isNotEqualTo(pid);
        assertThat(decisions()).anySatisfy(d -> assertThat(d.message()).contains("trusted prediction"));
        node.client().destroy("ftvm");
    }
}
