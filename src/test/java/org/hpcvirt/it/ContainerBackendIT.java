package org.hpcvirt.it;

import static org.hpcvirt.it.InProcessCli.hpcvirt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.VmState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A {@code container} VM of a real daemon: it reaches RUNNING on its agent's heartbeats, runs under
 * the profile's cgroup limits, pauses through the freezer, takes a guest-user fault, refuses a
 * kernel fault and a data disk before anything runs, and survives a daemon restart. The steps share
 * one container; the node deletes it (and its cgroups) even when a step fails.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ContainerBackendIT {
    private static TestNode node;

    @BeforeAll
    static void start() {
        node = TestNode.start();
        System.setProperty("hpcvirt.home", node.layout().home().toString());
        node.client().define("name: box\nbackend: container\ncpus: 1\nmemory: 64M\nimage: " + TestNode.IMAGE + "\n"
                + "heartbeat:\n  interval: 200ms\n  timeout: 2s\n", "box.yaml");
        assertThat(node.client().start("box", true, Duration.ofSeconds(60)).state()).as(node.console("box")).isEqualTo(VmState.RUNNING);
    }

    @AfterAll
    static void stop() {
        System.clearProperty("hpcvirt.home");
        if (node != null) {
            node.close();
        }
    }


    private static String containerId() throws Exception {
        return Files.readString(node.layout().runDir("box").resolve("container.id")).strip();
    }

    @Test
    @Order(1)
    void theContainerRunsUnderTheProfilesCgroupLimits() throws Exception {
        String id = containerId();
        Path mem = Path.of("/sys/fs/cgroup/memory/hpcvirt", id);
        assertThat(Files.readString(mem.resolve("memory.limit_in_bytes")).strip()).isEqualTo(Long.toString(64L << 20));
        Path cpu = Path.of("/sys/fs/cgroup/cpu/hpcvirt", id);
        assertThat(Files.readString(cpu.resolve("cpu.cfs_quota_us")).strip()).isEqualTo("100000");
        assertThat(Files.readString(cpu.resolve("cpu.cfs_period_us")).strip()).isEqualTo("100000");
        // the agent answering exec runs inside it: its own hostname, pid namespace, the cgroup above
        var r = node.client().exec("box", "hostname; echo pid1=$(cat /proc/1/comm); cat /proc/self/cgroup", Duration.ofSeconds(10));
        assertThat(r.exitCode()).isZero();
        assertThat(r.output()).contains("box").contains("pid1=sh").contains("memory:/hpcvirt/" + id);
    }

    @Test
    @Order(2)
    void pauseFreezesTheContainerAndResumeBringsHeartbeatsBack() throws Exception {
        assertThat(node.client().pause("box").state()).isEqualTo(VmState.PAUSED);
        assertThat(Files.readString(Path.of("/sys/fs/cgroup/freezer/hpcvirt", containerId(), "freezer.state")).strip())
                .isEqualTo("FROZEN");
        assertThat(node.client().resume("box").state()).isEqualTo(VmState.RUNNING);
        long before = node.client().status("box").lastHeartbeatSeq();
        await().atMost(Duration.ofSeconds(10)).until(() -> node.client().status("box").lastHeartbeatSeq() > before);
    }

    @Test
    @Order(3)
    void aGuestUserFaultRunsAndKillsOnlyItsProcess() {
        InProcessCli.Run r = hpcvirt("inject", "segfault", "box");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("faulting process exit status: 139");
        assertThat(node.client().status("box").state()).isEqualTo(VmState.RUNNING);
    }

    @Test
    @Order(4)
    void aKernelFaultIsRefusedNamingBackendCapabilityAndReason() {
        InProcessCli.Run r = hpcvirt("inject", "kerncrash", "box");
        assertThat(r.code()).as(r.toString()).isEqualTo(ErrorCode.REFUSED.exitCode());
        assertThat(r.err()).contains("refusing to inject kerncrash").contains("backend 'container' has no kernel faults")
                .contains("the guest kernel is the host kernel").doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(r.err().strip().lines()).hasSize(1);
        assertThat(node.client().events("box", 0, 10_000)).noneMatch(e -> e.type() == org.hpcvirt.api.VmEvent.Type.INJECTION
                && "kerncrash".equals(e.data().get("fault")));
        assertThat(node.client().status("box").state()).isEqualTo(VmState.RUNNING);
    }

    @Test
    @Order(5)
    void aDataDiskIsRefusedBeforeAnythingStarts() {
        node.client().define("name: boxdisk\nbackend: container\ncpus: 1\nmemory: 64M\nimage: " + TestNode.IMAGE + "\n"
                + "disk:\n  size: 64M\n", "boxdisk.yaml");
        assertThatThrownBy(() -> node.client().start("boxdisk", true, Duration.ofSeconds(30)))
                .isInstanceOf(HpcvirtException.class)
                .hasMessageContaining("profile 'boxdisk' asks for a data disk: backend 'container' has no data disk");
        assertThat(node.client().status("boxdisk").state()).isEqualTo(VmState.DEFINED);
        assertThat(node.layout().runDir("boxdisk").resolve("container.id")).doesNotExist();
    }

    @Test
    @Order(5)
    void aCheckpointIsRefusedWithTheBackendsReasonAndTheContainerRunsOn() {
        assertThatThrownBy(() -> node.client().checkpoint("box", false, null))
                .isInstanceOf(HpcvirtException.class)
                .hasMessageContaining("checkpointing 'box': backend 'container' has no checkpoint (")
                .hasMessageMatching("(?s).*\\((criu not installed|criu check fails here: .+|criu check passes.+)\\)")
                .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.REFUSED));
        assertThat(node.client().status("box").state()).isEqualTo(VmState.RUNNING);
    }

    @Test
    @Order(6)
    void aRestartedDaemonReattachesToTheRunningContainer() throws Exception {
        String id = containerId();
        long pid = node.client().status("box").pid();
        node.killDaemon();
        node.startDaemon();
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> node.client().status("box").state() == VmState.RUNNING);
        assertThat(node.client().status("box").pid()).isEqualTo(pid);
        assertThat(containerId()).isEqualTo(id);
        long seq = node.client().status("box").lastHeartbeatSeq();
        await().atMost(Duration.ofSeconds(10)).until(() -> node.client().status("box").lastHeartbeatSeq() > seq);
    }

    @Test
    @Order(7)
    void destroyDeletesTheContainerAndItsCgroups() throws Exception {
        String id = containerId();
        node.client().stop("box", true, Duration.ofSeconds(20));
        node.client().destroy("box");
        for (String h : new String[] {"memory", "cpu", "freezer", "pids"}) {
            assertThat(Path.of("/sys/fs/cgroup", h, "hpcvirt", id)).as(h).doesNotExist();
        }
        Process state = new ProcessBuilder("crun", "state", id).redirectErrorStream(true).start();
        state.getInputStream().readAllBytes();
        assertThat(state.waitFor()).isNotZero();
    }
}
