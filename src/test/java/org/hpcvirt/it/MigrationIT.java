package org.hpcvirt.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.VmEvent;
import org.hpcvirt.api.VmState;
import org.hpcvirt.guest.ExecResult;
import org.hpcvirt.migration.MigrationReport;
import org.hpcvirt.vm.VmStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Live migration between two daemons in separate network namespaces (10.200.0.1 and .2, see
 * {@link NetnsNodes}) with a real TCG guest, the daemons talking mutual TLS with their node
 * certificates (QEMU's migration stream itself is plain TCP between the namespaces): peers without
 * a valid certificate are refused first, then the guest, booted once on node 1, migrates to node 2, then
 * migrated back slowly while the destination is killed, then while only the destination's daemon
 * is killed (a failure after the switch-over). Steps run in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MigrationIT {
    private static final Duration BOOT = Duration.ofSeconds(90);
    private static final Duration T = Duration.ofSeconds(30);
    private static NetnsNodes nodes;

    @BeforeAll
    static void boot() {
        nodes = NetnsNodes.up(2);
        String yaml = "name: mig\nbackend: qemu\ncpus: 1\nmemory: 128M\nimage: " + TestNode.IMAGE + "\n"
                + "heartbeat:\n  interval: 200ms\n  timeout: 2s\ndisk:\n  size: 64M\n";
        nodes.client(1).define(yaml, "mig.yaml");
        assertThat(nodes.client(1).start("mig", true, BOOT).state()).isEqualTo(VmState.RUNNING);
    }

    @AfterAll
    static void teardown() {
        if (nodes != null) {
            nodes.close();
        }
    }

    private static ExecResult exec(int node, String cmd) {
        ExecResult r = nodes.client(node).exec("mig", cmd, T);
        assertThat(r.exitCode()).as(cmd + ": " + r.output()).isZero();
        return r;
    }

    private static List<VmEvent> migrationEvents(int node) {
        return nodes.client(node).events("mig", 0, 10_000).stream().filter(e -> e.type() == VmEvent.Type.MIGRATION).toList();
    }

    private static boolean qemuOfMigRunsOn(int node) {
        return nodes.processesOf(node).stream().anyMatch(pid -> cmdline(pid).contains("guest=mig"));
    }

    private static String cmdline(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")), StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            return "";
        }
    }

    /**
     * Starts migrating the VM from node 2 to node 1 at 16 MiB/s, so that the ~90 MiB stream lasts
     * several seconds, and returns once the source says it streams (or the migration ended). The
     * future holds the report or the exception.
     */
    private static CompletableFuture<Object> slowMigrationFrom2To1() {
        return slowMigrationFrom2To1(16L << 20);
    }

    private static CompletableFuture<Object> slowMigrationFrom2To1(long bytesPerSecond) {
        long lastSeq = migrationEvents(2).stream().mapToLong(VmEvent::seq).max().orElse(0);
        CompletableFuture<Object> migration = CompletableFuture.supplyAsync(() -> {
            try {
                return nodes.client(2).migrate("mig", nodes.url(1), 300, bytesPerSecond, Duration.ofMinutes(2));
            } catch (HpcvirtException e) {
                return e;
            }
        });
        await().atMost(T).pollInterval(Duration.ofMillis(20)).until(() -> migration.isDone()
                || migrationEvents(2).stream().anyMatch(e -> e.seq() > lastSeq && e.message().startsWith("streaming to")));
        return migration;
    }

    /** Runs curl in node {@code from}'s namespace against {@code url}; returns curl's exit code and the HTTP status (000 if none). */
    private static NetnsNodes.Result curl(int from, String url, String... options) {
        List<String> cmd = new java.util.ArrayList<>(List.of("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "20",
                "--cacert", nodes.cluster().resolve("ca.pem").toString()));
        cmd.addAll(List.of(options));
        cmd.add(url);
        return nodes.inNamespace(from, cmd.toArray(String[]::new));
    }

    @Test
    @Order(1)
    void peersNeedACertificateOfTheClusterCaOrAScopedTokenAndTheVmStaysAsItWas() {
        VmStatus before = nodes.client(1).status("mig");
        Path n2 = nodes.cluster().resolve("nodes/n2");
        // a certificate from another CA, and an expired one from the cluster's own CA
        Path elsewhere = nodes.cluster().resolveSibling("elsewhere");
        org.hpcvirt.cluster.ClusterAuthority.create(elsewhere, Duration.ofDays(1), false)
                .issue(org.hpcvirt.cluster.NodeSpec.parse("n2=10.200.0.2"), Duration.ofDays(1));
        java.time.Instant past = java.time.Instant.now().minus(Duration.ofHours(1));
        org.hpcvirt.cluster.ClusterAuthority ca = org.hpcvirt.cluster.ClusterAuthority.load(nodes.cluster());
        ca.issue(org.hpcvirt.cluster.NodeSpec.parse("n2old=10.200.0.2"), past.minus(Duration.ofDays(1)), past);
        Path expired = ca.nodeDir("n2old");
        String stop = nodes.url(1) + "/v1/vms/mig/stop";
        String[] post = {"-X", "POST", "-H", "Content-Type: application/json", "-d", "{\"force\":true}"};

        // from node 2's namespace to node 1's listener: the path other daemons take
        NetnsNodes.Result none = curl(2, stop, post);
        assertThat(none.output()).as("no certificate, no token").isEqualTo("401");
        for (Path bad : List.of(elsewhere.resolve("nodes/n2"), expired)) {
            String[] withCert = {"--cert", bad.resolve("node.pem").toString(), "--key", bad.resolve("node.key").toString(),
                    "-X", "POST", "-H", "Content-Type: application/json", "-d", "{\"force\":true}"};
            NetnsNodes.Result refused = curl(2, stop, withCert);
            assertThat(refused.exitCode()).as(bad + ": the TLS handshake fails").isNotZero();
            assertThat(refused.output()).isEqualTo("000");
        }
        NetnsNodes.Result plain = nodes.inNamespace(2, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "20",
                "-X", "POST", nodes.url(1).replace("https://", "http://") + "/v1/vms/mig/stop");
        assertThat(plain.output()).as("plain HTTP to the TLS port").isNotEqualTo("200");
        // a read token inside TLS looks, and cannot stop the VM
        String read = org.hpcvirt.cluster.ScopedTokens.issue(nodes.cluster().resolve("tokens"), "it-read", org.hpcvirt.api.Access.READ).token();
        assertThat(curl(2, nodes.url(1) + "/v1/vms", "-H", "Authorization: Bearer " + read).output()).isEqualTo("200");
        NetnsNodes.Result forbidden = nodes.inNamespace(2, "curl", "-s", "--max-time", "20", "--cacert",
                nodes.cluster().resolve("ca.pem").toString(), "-H", "Authorization: Bearer " + read, "-X", "POST", "-d", "{}", stop);
        assertThat(forbidden.output()).contains("FORBIDDEN").contains("needs scope operate; token:it-read holds read");

        VmStatus after = nodes.client(1).status("mig");
        assertThat(after.state()).isEqualTo(VmState.RUNNING);
        assertThat(after.pid()).isEqualTo(before.pid());
        await().atMost(T).until(() -> nodes.client(1).status("mig").lastHeartbeatSeq() > after.lastHeartbeatSeq() + 2);
        assertThat(nodes.client(1).events("mig", 0, 10_000)).extracting(VmEvent::type).doesNotContain(VmEvent.Type.MIGRATION);

        // node 2's own certificate gets in
        NetnsNodes.Result ok = nodes.inNamespace(2, "curl", "-s", "-w", " %{http_code}", "--max-time", "20", "--cacert",
                nodes.cluster().resolve("ca.pem").toString(), "--cert", n2.resolve("node.pem").toString(), "--key",
                n2.resolve("node.key").toString(), nodes.url(1) + "/v1/node");
        assertThat(ok.output()).endsWith(" 200").contains(nodes.layout(1).home().toString()).contains("\"tls\":true");
        // the Unix socket is unchanged
        assertThat(nodes.client(2).list()).isEmpty();
    }

    @Test
    @Order(2)
    void migratedGuestContinuesOnTheOtherNodeWithItsFiles() {
        exec(1, "echo moved > /data/moved && sync");
        VmStatus before = nodes.client(1).status("mig");
        long qemuBefore = before.pid();

        MigrationReport r = nodes.client(1).migrate("mig", nodes.url(2), 300, 0, Duration.ofMinutes(2));

        assertThat(r.totalMs()).as("QEMU total time").isPositive().isLessThan(30_000);
        assertThat(r.downtimeMs()).as("QEMU downtime").isPositive().isLessThan(r.totalMs() + 1);
        assertThat(r.pauseMs()).isGreaterThanOrEqualTo(r.downtimeMs());
        assertThat(r.bytes()).as("RAM moved").isGreaterThan(1L << 20);
        VmStatus there = nodes.client(2).status("mig");
        assertThat(there.state()).isEqualTo(VmState.RUNNING);
        assertThat(r.destination().lastHeartbeatSeq()).as("heartbeat sequence continues, not reset")
                .isGreaterThan(before.lastHeartbeatSeq()).isLessThan(before.lastHeartbeatSeq() + 50);
        assertThat(there.guestUptimeMs()).as("uptime continues").isGreaterThanOrEqualTo(before.guestUptimeMs());
        long seq = there.lastHeartbeatSeq();
        await().atMost(T).until(() -> nodes.client(2).status("mig").lastHeartbeatSeq() > seq + 3);
        assertThat(exec(2, "cat /data/moved").output()).contains("moved");
        exec(2, "echo there > /data/there && sync");

        assertThat(nodes.client(1).list()).as("the source forgets the VM").isEmpty();
        assertThat(ProcessHandle.of(qemuBefore).map(ProcessHandle::isAlive).orElse(false)).as("source QEMU killed").isFalse();
        assertThat(qemuOfMigRunsOn(1)).isFalse();
        assertThat(migrationEvents(1)).extracting(e -> e.data().get("outcome")).contains("completed");
        assertThat(migrationEvents(2)).extracting(VmEvent::message).anyMatch(m -> m.startsWith("incoming migration from"));
    }

    @Test
    @Order(3)
    void destinationKilledMidMigrationLeavesTheSourceRunning() {
        long seqBefore = nodes.client(2).status("mig").lastHeartbeatSeq();
        CompletableFuture<Object> migration = slowMigrationFrom2To1();
        assertThat(migration).as("still streaming when the destination dies").isNotDone();
        for (long pid : nodes.processesOf(1)) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
        ProcessHandle.of(nodes.daemonPid(1)).ifPresent(ProcessHandle::destroyForcibly);

        Object outcome = migration.join();
        assertThat(outcome).isInstanceOf(HpcvirtException.class);
        assertThat(((HpcvirtException) outcome).code()).isEqualTo(ErrorCode.OPERATION_FAILED);
        assertThat(((HpcvirtException) outcome).getMessage()).contains("keeps running here");
        VmStatus s = nodes.client(2).status("mig");
        assertThat(s.state()).isEqualTo(VmState.RUNNING);
        await().atMost(T).until(() -> nodes.client(2).status("mig").lastHeartbeatSeq() > seqBefore + 5);
        assertThat(nodes.client(2).status("mig").state()).isEqualTo(VmState.RUNNING);
        assertThat(exec(2, "cat /data/moved /data/there").output()).contains("moved").contains("there");
        assertThat(migrationEvents(2)).last().satisfies(e -> {
            assertThat(e.data().get("outcome")).isEqualTo("failed");
            assertThat(e.state()).isEqualTo(VmState.RUNNING);
        });
    }

    @Test
    @Order(4)
    void failureAfterTheSwitchOverNeverRunsTheVmTwice() throws Exception {
        // node 1's daemon was killed in the previous step: start it again as the destination
        nodes.startDaemon(1);
        // the incoming migration it was receiving when it died never ran the VM there: forgotten
        assertThat(nodes.client(1).list()).extracting(VmStatus::name).doesNotContain("mig");
        assertThat(migrationEvents(1)).last().satisfies(e -> {
            assertThat(e.data().get("outcome")).isEqualTo("interrupted");
            assertThat(e.message()).contains("its QEMU pid").contains("is gone");
        });
        exec(2, "echo before-switchover > /data/b && sync");
        CompletableFuture<Object> migration = slowMigrationFrom2To1();
        assertThat(migration).as("still streaming when the destination's daemon dies").isNotDone();
        // only the destination's daemon dies: its QEMU receives the whole state, the source then can
        // neither hand over (resume there) nor learn whether that QEMU is gone
        ProcessHandle.of(nodes.daemonPid(1)).ifPresent(ProcessHandle::destroyForcibly);

        Object outcome = migration.get(2, java.util.concurrent.TimeUnit.MINUTES);
        assertThat(outcome).isInstanceOf(HpcvirtException.class);
        assertThat(((HpcvirtException) outcome).getMessage()).contains("after the switch-over").contains("PAUSED here");
        assertThat(nodes.client(2).status("mig").state()).isEqualTo(VmState.PAUSED);
        assertThat(migrationEvents(2)).last().satisfies(e -> {
            assertThat(e.data().get("outcome")).isEqualTo("failed-after-switchover");
            assertThat(e.data().get("resumedHere")).isEqualTo(false);
            assertThat(e.message()).contains("never runs twice");
        });
        // the destination's QEMU holds the whole state but was never resumed: the guest runs nowhere
        Path qmp = nodes.layout(1).runDir("mig").resolve(org.hpcvirt.backend.qemu.QemuCommandLine.QMP_SOCKET);
        try (org.hpcvirt.backend.qemu.QmpConnection q = org.hpcvirt.backend.qemu.QmpConnection.connect(qmp, T)) {
            assertThat(q.execute("query-status", java.util.Map.of(), T).path("running").asBoolean()).isFalse();
            assertThat(q.execute("query-migrate", java.util.Map.of(), T).path("status").asText()).isEqualTo("completed");
        }
        long seq = nodes.client(2).status("mig").lastHeartbeatSeq();
        // heartbeats come every 200 ms from a running guest: none for a second here
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
                .until(() -> nodes.client(2).status("mig").lastHeartbeatSeq() == seq);

        // the way out: the destination's daemon comes back, kills the QEMU that never ran the guest
        // and forgets the VM; then the source may resume it
        nodes.startDaemon(1);
        assertThat(qemuOfMigRunsOn(1)).isFalse();
        assertThat(nodes.client(1).list()).extracting(VmStatus::name).doesNotContain("mig");
        assertThat(migrationEvents(1)).last().satisfies(e -> assertThat(e.message()).contains("never ran the guest"));
        assertThat(nodes.client(2).resume("mig").state()).isEqualTo(VmState.RUNNING);
        await().atMost(T).until(() -> nodes.client(2).status("mig").lastHeartbeatSeq() > seq + 3);
        assertThat(exec(2, "cat /data/b /data/there").output()).contains("before-switchover").contains("there");
    }

    @Test
    @Order(5)
    void aSourceDaemonRestartedMidMigrationCancelsItAndTheDestinationLetsGo() throws Exception {
        exec(2, "echo before-restart > /data/r && sync");
        CompletableFuture<Object> migration = slowMigrationFrom2To1(8L << 20);
        assertThat(migration).as("still streaming when the source's daemon dies").isNotDone();
        // the source's daemon dies; its QEMU keeps streaming by itself until a new daemon cancels it
        ProcessHandle.of(nodes.daemonPid(2)).ifPresent(ProcessHandle::destroyForcibly);
        nodes.startDaemon(2);
        assertThat(nodes.client(2).status("mig").state()).isEqualTo(VmState.RUNNING);
        assertThat(migrationEvents(2)).last().satisfies(e -> {
            assertThat(e.data().get("outcome")).isEqualTo("interrupted");
            // the new daemon cancels the stream if it still runs; if the destination gave up on it first, QEMU ended it
            // as failed by itself: either way the VM runs here, and the event says which
            if (Boolean.TRUE.equals(e.data().get("cancelled"))) {
                assertThat(e.message()).contains("was cancelled");
            } else {
                assertThat(e.message()).doesNotContain("was cancelled");
            }
            assertThat(e.message()).contains("keeps running here");
        });
        // the destination's QEMU, whose stream broke, goes at once and the name is free there (on a failure, both
        // nodes' migration events say what each side did)
        await().atMost(T).untilAsserted(() -> assertThat(!qemuOfMigRunsOn(1)
                && nodes.client(1).list().stream().noneMatch(v -> v.name().equals("mig")))
                .as("destination let go; events of the destination %s and of the source %s", migrationEvents(1), migrationEvents(2))
                .isTrue());
        assertThat(migrationEvents(1)).last().satisfies(e -> assertThat(e.message()).contains("given up"));
        long seq = nodes.client(2).status("mig").lastHeartbeatSeq();
        await().atMost(T).until(() -> nodes.client(2).status("mig").lastHeartbeatSeq() > seq + 3);
        assertThat(exec(2, "cat /data/r").output()).contains("before-restart");
        assertThat(migration.get(1, java.util.concurrent.TimeUnit.MINUTES)).as("the killed daemon's caller hears of it")
                .isInstanceOf(HpcvirtException.class);
    }
}
