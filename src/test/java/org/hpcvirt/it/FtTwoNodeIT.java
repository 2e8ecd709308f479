package org.hpcvirt.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import org.hpcvirt.api.VmEvent;
import org.hpcvirt.api.VmState;
import org.hpcvirt.vm.VmStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Issue 5's proof on two nodes (two daemons in network namespaces sharing a checkpoint store):
 * a predicted failure of the VM's node moves the running VM to the other node with its heartbeat
 * sequence continuing; an unpredicted kill of its QEMU there brings it back on the first node
 * from its latest checkpoint. All decisions are taken by the daemons' live executors. Last, a
 * suspended VM wakes on the other node ({@code vm wake --node URL}).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FtTwoNodeIT {
    private static NetnsNodes nodes;

    @BeforeAll
    static void up() {
        nodes = NetnsNodes.up(2);
    }

    @AfterAll
    static void down() {
        if (nodes != null) {
            nodes.close();
        }
    }

    private static boolean runsOn(int node) {
        return nodes.client(node).list().stream().anyMatch(s -> s.name().equals("ftm") && s.state() == VmState.RUNNING);
    }

    private static VmStatus status(int node) {
        return nodes.client(node).status("ftm");
    }

    private static List<VmEvent> decisions(int node) {
        return nodes.client(node).events("ftm", 0, 10_000).stream().filter(e -> e.type() == VmEvent.Type.FT_DECISION).toList();
    }

    @Test
    @Order(1)
    void aPredictedFailureMovesTheRunningVmToTheOtherNode() {
        String yaml = "name: ftm\nbackend: qemu\ncpus: 1\nmemory: 128M\nimage: " + TestNode.IMAGE + "\n"
                + "disk:\n  size: 64M\nheartbeat:\n  interval: 200ms\n  timeout: 2s\n"
                + "ft:\n  policy: hybrid\n  period: 4s\n  action: migrate\n";
        nodes.client(1).define(yaml, "ftm.yaml");
        nodes.client(1).start("ftm", true, Duration.ofSeconds(90));
        assertThat(nodes.client(1).exec("ftm", "echo from-n1 > /data/f && sync", Duration.ofSeconds(30)).exitCode()).isZero();
        await().atMost(Duration.ofSeconds(30)).until(() -> decisions(1).stream().anyMatch(d -> d.message().startsWith("watching")));
        long seqBefore = status(1).lastHeartbeatSeq();

        nodes.client(1).predict("n1", Duration.ofSeconds(60), 0.95);

        await().atMost(Duration.ofSeconds(90)).until(() -> runsOn(2));
        await().atMost(Duration.ofSeconds(30)).until(() -> nodes.client(1).list().stream().noneMatch(s -> s.name().equals("ftm")));
        assertThat(decisions(1)).anySatisfy(d -> assertThat(d.message()).contains("live-migrate from node n1 to n2"));
        // the same guest goes on: its heartbeat sequence continues instead of starting over
        await().atMost(Duration.ofSeconds(10)).until(() -> status(2).lastHeartbeatSeq() > seqBefore);
        assertThat(nodes.client(2).exec("ftm", "cat /data/f", Duration.ofSeconds(30)).output()).contains("from-n1");
    }

    @Test
    @Order(2)
    void anUnpredictedKillBringsItBackOnTheOtherNodeFromItsLatestCheckpoint() throws Exception {
        // node 2's executor watches the VM now and checkpoints it
        await().atMost(Duration.ofSeconds(60)).until(() -> decisions(2).stream().anyMatch(d -> d.message().startsWith("checkpoint done")));
        long pid = status(2).pid();
        new ProcessBuilder("kill", "-KILL", Long.toString(pid)).start().waitFor();

        await().atMost(Duration.ofSeconds(90)).until(() -> runsOn(1));
        await().atMost(Duration.ofSeconds(30)).until(() -> nodes.client(2).list().stream().noneMatch(s -> s.name().equals("ftm")));
        assertThat(decisions(2)).anySatisfy(d -> assertThat(d.message()).contains("failure detected on node n2"));
        assertThat(decisions(2)).anySatisfy(d -> assertThat(d.message()).contains("restart from the latest checkpoint on node n1"));
        VmEvent restored = nodes.client(1).events("ftm", 0, 10_000).stream().filter(e -> e.type() == VmEvent.Type.RESTORED)
                .reduce((a, b) -> b).orElseThrow();
        long seqAtCheckpoint = ((Number) restored.data().get("heartbeatSeq")).longValue();
        await().atMost(Duration.ofSeconds(10)).until(() -> status(1).lastHeartbeatSeq() > seqAtCheckpoint);
        assertThat(nodes.client(1).exec("ftm", "cat /data/f", Duration.ofSeconds(30)).output()).contains("from-n1");
    }

    @Test
    @Order(3)
    void aSuspendedVmWakesOnAnotherNode() {
        long seq = status(1).lastHeartbeatSeq();
        nodes.client(1).suspend("ftm");
        assertThat(status(1).state()).isEqualTo(VmState.SUSPENDED);
        VmStatus there = nodes.client(1).wakeOn("ftm", nodes.url(2), Duration.ofSeconds(90));
        assertThat(there.state()).isEqualTo(VmState.RUNNING);
        assertThat(runsOn(2)).isTrue();
        assertThat(nodes.client(1).list()).noneMatch(s -> s.name().equals("ftm"));
        await().atMost(Duration.ofSeconds(10)).until(() -> status(2).lastHeartbeatSeq() > seq);
        assertThat(nodes.client(2).exec("ftm", "cat /data/f", Duration.ofSeconds(30)).output()).contains("from-n1");
    }
}
