package org.hpcvirt.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.VmEvent;
import org.hpcvirt.api.VmState;
import org.hpcvirt.backend.ProcessInfo;
import org.hpcvirt.guest.ExecResult;
import org.hpcvirt.vm.VmStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The foundation's story on real TCG guests through a real daemon process: define → start →
 * heartbeats → exec → pause (heartbeats stop) → resume (sequence continues) → hang detected →
 * guest panic detected → QEMU kill detected → daemon killed and re-attached → destroy leaves
 * nothing behind. Steps share two booted guests, so they run in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class VmLifecycleIT {
    private static final Duration BOOT = Duration.ofSeconds(90);
    private static TestNode node;

    @BeforeAll
    static void startNode() {
        node = TestNode.start();
    }

    @AfterAll
    static void stopNode() {
        if (node != null) {
            node.close();
        }
    }

    private static VmStatus status(String vm) {
        return node.client().status(vm);
    }

    private static List<VmEvent> events(String vm, VmEvent.Type type) {
        return node.client().events(vm, 0, 10_000).stream().filter(e -> e.type() == type).toList();
    }

    @Test
    @Order(1)
    void defineAndStartWaitsForFirstHeartbeat() throws Exception {
        VmStatus a = node.define("alpha", "disk:\n  size: 64M\n");
        assertThat(a.state()).isEqualTo(VmState.DEFINED);
        node.define("beta", "pinning: [0]\n");
        assertThatThrownBy(() -> node.define("alpha", ""))
                .isInstanceOf(HpcvirtException.class)
                .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.ALREADY_EXISTS));
        VmStatus started = node.client().start("alpha", true, BOOT);
        assertThat(started.state()).as(node.console("alpha")).isEqualTo(VmState.RUNNING);
        assertThat(started.lastHeartbeatSeq()).isGreaterThanOrEqualTo(1);
        assertThat(started.pid()).isPositive();
        VmStatus beta = node.client().start("beta", true, BOOT);
        assertThat(beta.state()).isEqualTo(VmState.RUNNING);
        // the profile's host CPU pinning applies to the whole QEMU process
        assertThat(Files.readAllLines(java.nio.file.Path.of("/proc", Long.toString(beta.pid()), "status")))
                .contains("Cpus_allowed_list:\t0");
    }

    @Test
    @Order(2)
    void heartbeatsKeepComing() {
        long first = status("alpha").lastHeartbeatSeq();
        await().atMost(Duration.ofSeconds(10)).until(() -> status("alpha").lastHeartbeatSeq() >= first + 5);
        assertThat(status("alpha").guestUptimeMs()).isPositive();
    }

    @Test
    @Order(3)
    void execRunsInTheGuestAndTheDataDiskIsMounted() {
        ExecResult r = node.client().exec("alpha", "echo hello from $(hostname); uname -r", Duration.ofSeconds(30));
        assertThat(r.exitCode()).isZero();
        assertThat(r.output()).contains("hello from alpha").contains("cloud-amd64");
        ExecResult failing = node.client().exec("alpha", "exit 3", Duration.ofSeconds(30));
        assertThat(failing.exitCode()).isEqualTo(3);
        ExecResult disk = node.client().exec("alpha", "echo persisted > /data/f && sync && cat /data/f && mount | grep ' /data '",
                Duration.ofSeconds(30));
        assertThat(disk.exitCode()).as(disk.output()).isZero();
        assertThat(disk.output()).contains("persisted").contains("ext4");
    }

    @Test
    @Order(4)
    void pauseStopsHeartbeatsAndResumeContinuesTheSequence() {
        VmStatus paused = node.client().pause("alpha");
        assertThat(paused.state()).isEqualTo(VmState.PAUSED);
        long seqAtPause = status("alpha").lastHeartbeatSeq();
        // for longer than the 2 s heartbeat timeout: a paused guest is silent on purpose, not hung
        await().during(Duration.ofMillis(2600)).atMost(Duration.ofSeconds(5))
                .until(() -> status("alpha").state() == VmState.PAUSED);
        VmStatus still = status("alpha");
        assertThat(still.lastHeartbeatSeq()).isLessThanOrEqualTo(seqAtPause + 1);
        assertThatThrownBy(() -> node.client().pause("alpha"))
                .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.WRONG_STATE))
                .hasMessageContaining("PAUSED");
        assertThat(node.client().resume("alpha").state()).isEqualTo(VmState.RUNNING);
        await().atMost(Duration.ofSeconds(10)).until(() -> status("alpha").lastHeartbeatSeq() > still.lastHeartbeatSeq());
        long after = status("alpha").lastHeartbeatSeq();
        // the agent's sequence did not restart: it continues from where it stopped
        assertThat(after).isGreaterThan(seqAtPause).isLessThan(seqAtPause + 60);
        assertThat(events("alpha", VmEvent.Type.HEARTBEAT_LOST)).isEmpty();
    }

    @Test
    @Order(5)
    void aFrozenGuestIsDetectedAsHungAndRecovers() throws Exception {
        long pid = status("beta").pid();
        new ProcessBuilder("kill", "-STOP", Long.toString(pid)).start().waitFor();
        try {
            await().atMost(Duration.ofSeconds(15)).until(() -> status("beta").state() == VmState.HUNG);
            assertThat(events("beta", VmEvent.Type.HEARTBEAT_LOST)).hasSize(1);
        } finally {
            new ProcessBuilder("kill", "-CONT", Long.toString(pid)).start().waitFor();
        }
        await().atMost(Duration.ofSeconds(15)).until(() -> status("beta").state() == VmState.RUNNING);
        assertThat(events("beta", VmEvent.Type.HEARTBEAT_RESUMED)).hasSize(1);
    }

    @Test
    @Order(6)
    void guestKernelPanicIsDetectedWhileTheOtherVmKeepsRunning() {
        long alphaSeq = status("alpha").lastHeartbeatSeq();
        ExecResult r = node.client().exec("beta", "(sleep 0.3; echo c > /proc/sysrq-trigger) >/dev/null 2>&1 &", Duration.ofSeconds(10));
        assertThat(r.exitCode()).isZero();
        await().atMost(Duration.ofSeconds(30)).until(() -> status("beta").state() == VmState.PANICKED);
        assertThat(events("beta", VmEvent.Type.GUEST_PANICKED)).hasSize(1);
        assertThat(node.console("beta")).contains("Kernel panic");
        // QEMU is kept for inspection
        assertThat(ProcessInfo.isAlive(status("beta").pid(), 0)).isTrue();
        await().atMost(Duration.ofSeconds(10)).until(() -> status("alpha").lastHeartbeatSeq() > alphaSeq + 3);
        assertThat(status("alpha").state()).isEqualTo(VmState.RUNNING);
    }

    @Test
    @Order(7)
    void killedQemuIsDetected() throws Exception {
        long pid = status("beta").pid();
        new ProcessBuilder("kill", "-KILL", Long.toString(pid)).start().waitFor();
        await().atMost(Duration.ofSeconds(15)).until(() -> status("beta").state() == VmState.CRASHED);
        assertThat(events("beta", VmEvent.Type.QEMU_EXITED)).hasSize(1);
        assertThat(status("beta").pid()).isZero();
    }

    @Test
    @Order(8)
    void daemonKilledAndRestartedReattachesToTheSameQemu() {
        VmStatus before = status("alpha");
        node.killDaemon();
        assertThat(ProcessInfo.isAlive(before.pid(), 0)).as("QEMU survives the daemon").isTrue();
        node.startDaemon();
        VmStatus after = status("alpha");
        assertThat(after.pid()).isEqualTo(before.pid());
        assertThat(after.state()).isEqualTo(VmState.RUNNING);
        await().atMost(Duration.ofSeconds(15)).until(() -> status("alpha").lastHeartbeatSeq() > before.lastHeartbeatSeq());
        assertThat(events("alpha", VmEvent.Type.ATTACHED)).hasSize(1);
        ExecResult r = node.client().exec("alpha", "cat /data/f", Duration.ofSeconds(30));
        assertThat(r.output()).contains("persisted");
        assertThat(status("beta").state()).isEqualTo(VmState.CRASHED);
    }

    @Test
    @Order(9)
    void stopPowersTheGuestOffCleanly() {
        VmStatus s = node.client().stop("alpha", false, Duration.ofSeconds(30));
        assertThat(s.state()).isEqualTo(VmState.STOPPED);
        List<VmEvent> exits = events("alpha", VmEvent.Type.QEMU_EXITED);
        assertThat(exits).isNotEmpty();
        assertThat(exits.get(exits.size() - 1).state()).isEqualTo(VmState.STOPPED);
        assertThat(events("alpha", VmEvent.Type.GUEST_SHUTDOWN)).as("guest powered itself off").isNotEmpty();
        assertThatThrownBy(() -> node.client().exec("alpha", "true", Duration.ofSeconds(5)))
                .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.WRONG_STATE));
    }

    @Test
    @Order(10)
    void destroyLeavesNoProcessOrFileBehind() {
        VmStatus restarted = node.client().start("alpha", true, BOOT);
        long pid = restarted.pid();
        node.client().destroy("alpha");
        node.client().destroy("beta");
        assertThat(ProcessInfo.isAlive(pid, 0)).isFalse();
        assertThat(Files.exists(node.layout().runDir("alpha"))).isFalse();
        assertThat(Files.exists(node.layout().vmDir("alpha"))).isFalse();
        assertThat(Files.exists(node.layout().runDir("beta"))).isFalse();
        assertThat(node.client().list()).isEmpty();
        assertThat(node.processesOfThisNode()).containsExactly(node.daemonPid());
        assertThatThrownBy(() -> node.client().status("alpha"))
                .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.NOT_FOUND));
    }
}
