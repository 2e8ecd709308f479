package org.hpcvirt.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.VmState;
import org.hpcvirt.migration.MigrationReport;
import org.hpcvirt.vm.VmStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Live migration of a {@code backend: libvirt} VM between two daemons, each with its own libvirtd
 * ({@link LibvirtPair}): the guest, booted on node a, moves to node b through libvirt's own
 * migration and keeps its heartbeat sequence; b lists it RUNNING with its QEMU as the pid; a forgets
 * it; a file written on its data disk before the move is there after it. Then a migration to a node whose libvirtd is gone fails and the VM keeps running where it is.
 * Steps run in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LibvirtMigrationIT {
    private static final Duration BOOT = Duration.ofSeconds(90);
    private static final Duration T = Duration.ofSeconds(30);
    private static LibvirtPair pair;

    @BeforeAll
    static void boot() {
        pair = LibvirtPair.up();
        assertThat(pair.unavailable()).as("two libvirtd must be startable here").isNull();
        String yaml = "name: lvm\nbackend: libvirt\ncpus: 1\nmemory: 128M\nimage: " + TestNode.IMAGE + "\n"
                + "disk:\n  size: 64M\n"
                + "heartbeat:\n  interval: 200ms\n  timeout: 2s\n";
        pair.client("a").define(yaml, "lvm.yaml");
        assertThat(pair.client("a").start("lvm", true, BOOT).state()).as(pair.log("a")).isEqualTo(VmState.RUNNING);
    }

    @AfterAll
    static void teardown() {
        if (pair != null) {
            pair.close();
        }
    }

    @Test
    @Order(1)
    void bothNodesOfferMigrationOfLibvirtDomains() {
        for (String n : java.util.List.of("a", "b")) {
            com.fasterxml.jackson.databind.JsonNode migrate = null;
            for (com.fasterxml.jackson.databind.JsonNode b : pair.client(n).backends()) {
                if (b.path("name").asText().equals("libvirt")) {
                    for (com.fasterxml.jackson.databind.JsonNode c : b.path("capabilities")) {
                        if (c.path("capability").asText().equals("migrate")) {
                            migrate = c;
                        }
                    }
                }
            }
            assertThat(migrate).as("node " + n + " has a migrate cell for libvirt").isNotNull();
            assertThat(migrate.path("available").asBoolean()).as("node " + n + ": " + migrate).isTrue();
        }
    }

    @Test
    @Order(2)
    void runningGuestMovesToNodeBWithItsHeartbeatSequence() {
        VmStatus before = pair.client("a").status("lvm");
        await().atMost(T).until(() -> pair.client("a").status("lvm").lastHeartbeatSeq() > before.lastHeartbeatSeq() + 2);
        assertThat(pair.client("a").exec("lvm", "echo before-move > /data/f && sync && cat /data/f", T).output()).contains("before-move");
        VmStatus mid = pair.client("a").status("lvm");

        MigrationReport r = pair.client("a").migrate("lvm", pair.url("b"), 300, 0, Duration.ofMinutes(2));
        System.out.println("libvirt migration a -> b: " + r);

        assertThat(r.totalMs()).as("libvirt total time").isPositive();
        assertThat(r.downtimeMs()).as("downtime bound").isGreaterThanOrEqualTo(0).isLessThanOrEqualTo(r.totalMs());
        assertThat(r.bytes()).as("RAM moved").isGreaterThan(1L << 20);
        VmStatus there = pair.client("b").status("lvm");
        assertThat(there.state()).isEqualTo(VmState.RUNNING);
        assertThat(there.backend()).isEqualTo("libvirt");
        assertThat(there.pid()).as("the arrived domain's QEMU").isPositive().isNotEqualTo(mid.pid());
        assertThat(pair.inNode("b", "virsh", "-c", "qemu:///system", "domstate", "hpcvirt-lvm").strip()).isEqualTo("running");
        assertThat(pair.inNode("a", "virsh", "-c", "qemu:///system", "list", "--name").strip()).as("gone from node a's libvirtd").isEmpty();
        assertThat(r.destination().lastHeartbeatSeq()).as("heartbeat sequence continues, not reset")
                .isGreaterThan(mid.lastHeartbeatSeq()).isLessThan(mid.lastHeartbeatSeq() + 100);
        long seq = there.lastHeartbeatSeq();
        await().atMost(T).until(() -> pair.client("b").status("lvm").lastHeartbeatSeq() > seq + 3);
        assertThat(pair.client("b").exec("lvm", "echo here", T).output()).contains("here");
        assertThat(pair.client("b").exec("lvm", "cat /data/f && echo after-move >> /data/f && sync && cat /data/f", T).output())
                .as("the data disk came along (shared store) and takes writes at b").contains("before-move\nbefore-move\nafter-move");
        assertThat(pair.client("a").list()).as("the source forgets the VM").isEmpty();
        java.util.List<org.hpcvirt.api.VmEvent> atA = pair.client("a").events("lvm", 0, 10_000);
        assertThat(atA).as("node a's events of the VM").anyMatch(e -> e.type() == org.hpcvirt.api.VmEvent.Type.MIGRATION
                && e.message().startsWith("migrated to " + pair.url("b")));
        assertThat(atA).as("the source QEMU ending with the move is no crash")
                .noneMatch(e -> e.type() == org.hpcvirt.api.VmEvent.Type.QEMU_EXITED || e.state() == VmState.CRASHED);
        assertThat(ProcessHandle.of(mid.pid()).map(ProcessHandle::isAlive).orElse(false)).as("source QEMU gone").isFalse();
        // pause and resume work on the adopted domain
        assertThat(pair.client("b").pause("lvm").state()).isEqualTo(VmState.PAUSED);
        assertThat(pair.client("b").resume("lvm").state()).isEqualTo(VmState.RUNNING);
    }

    @Test
    @Order(3)
    void aMigrationThatTakesTooLongIsCancelledAndTheGuestKeepsRunning() {
        // 1 MiB/s for ~90 MiB of RAM: far longer than the 3 s allowed
        assertThatThrownBy(() -> pair.client("b").migrate("lvm", pair.url("a"), 300, 1L << 20, Duration.ofSeconds(3)))
                .isInstanceOf(HpcvirtException.class)
                .satisfies(e -> System.out.println("migration that takes too long: " + e.getMessage()))
                .hasMessageContaining("did not finish within 3 s; cancelled")
                .hasMessageContaining("the VM keeps running here");
        VmStatus s = pair.client("b").status("lvm");
        assertThat(s.state()).isEqualTo(VmState.RUNNING);
        long seq = s.lastHeartbeatSeq();
        await().atMost(T).until(() -> pair.client("b").status("lvm").lastHeartbeatSeq() > seq + 3);
        assertThat(pair.inNode("b", "virsh", "-c", "qemu:///system", "domstate", "hpcvirt-lvm").strip()).isEqualTo("running");
        await().atMost(T).until(() -> pair.inNode("a", "virsh", "-c", "qemu:///system", "list", "--all", "--name").isBlank());
        await().atMost(T).until(() -> pair.client("a").list().isEmpty());
    }

    @Test
    @Order(4)
    void migrationToANodeWhoseLibvirtdIsGoneFailsAndTheGuestKeepsRunning() {
        String pid = pair.inNode("a", "sh", "-c", "cat " + pair.layout("a").home().getParent().resolve("lv/a/libvirtd.pid")).strip();
        pair.inNode("a", "kill", pid);
        await().atMost(T).until(() -> !ProcessHandle.of(Long.parseLong(pid)).map(ProcessHandle::isAlive).orElse(false));

        assertThatThrownBy(() -> pair.client("b").migrate("lvm", pair.url("a"), 300, 0, Duration.ofMinutes(1)))
                .isInstanceOf(HpcvirtException.class)
                .satisfies(e -> assertThat(((HpcvirtException) e).code()).as(e.getMessage()).isIn(ErrorCode.REFUSED,
                        ErrorCode.OPERATION_FAILED, ErrorCode.BACKEND_UNAVAILABLE))
                .satisfies(e -> System.out.println("migration to a node without libvirtd: " + e.getMessage()))
                .hasMessageContaining("the VM keeps running here");
        VmStatus s = pair.client("b").status("lvm");
        assertThat(s.state()).isEqualTo(VmState.RUNNING);
        long seq = s.lastHeartbeatSeq();
        await().atMost(T).until(() -> pair.client("b").status("lvm").lastHeartbeatSeq() > seq + 3);
    }
}
