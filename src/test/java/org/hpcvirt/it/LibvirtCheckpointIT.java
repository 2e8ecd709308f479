package org.hpcvirt.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.hpcvirt.it.InProcessCli.hpcvirt;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.VmState;
import org.hpcvirt.checkpoint.CheckpointManifest;
import org.hpcvirt.guest.ExecResult;
import org.hpcvirt.vm.VmStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Checkpoint and restore of a libvirt VM with a data disk through a real daemon, the CLI and a real
 * libvirtd: a file written before the checkpoint is there after the restore with its checkpoint-time
 * contents, what was written after it is not, and the guest's heartbeats go on from the saved
 * sequence; once paused, once live. One 128 MiB guest at a time; libvirtd is started unless it runs,
 * and every domain and daemon this class made is gone afterwards, also on failure.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LibvirtCheckpointIT {
    private static final LibvirtDaemons LIBVIRT = new LibvirtDaemons();
    private static final Duration T = Duration.ofSeconds(60);
    private static final String DOMAIN = "hpcvirt-lvc";
    private static TestNode node;

    @BeforeAll
    static void up() {
        assertThat(LIBVIRT.up()).as("libvirtd must be startable here").isNull();
        node = TestNode.start();
        System.setProperty("hpcvirt.home", node.layout().home().toString());
        node.client().define("name: lvc\nbackend: libvirt\ncpus: 1\nmemory: 128M\nimage: " + TestNode.IMAGE + "\n"
                + "heartbeat:\n  interval: 200ms\n  timeout: 2s\ndisk:\n  size: 64M\n", "lvc.yaml");
        VmStatus s = node.client().start("lvc", true, Duration.ofSeconds(120));
        assertThat(s.state()).as(node.console("lvc")).isEqualTo(VmState.RUNNING);
    }

    @AfterAll
    static void down() {
        try {
            System.clearProperty("hpcvirt.home");
            if (node != null) {
                node.close();
            }
        } finally {
            try {
                virsh("destroy", DOMAIN);
            } finally {
                LIBVIRT.down();
            }
        }
    }

    private static void virsh(String... args) {
        List<String> cmd = new java.util.ArrayList<>(List.of("virsh", "-q", "-c", "qemu:///system"));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static String exec(String cmd) {
        ExecResult r = node.client().exec("lvc", cmd, T);
        assertThat(r.exitCode()).as(cmd + ": " + r.output()).isZero();
        return r.output();
    }

    /** {@code hpcvirt vm checkpoint lvc [--live]}: the checkpoint's manifest. */
    private static CheckpointManifest checkpoint(boolean live) {
        InProcessCli.Run r = live ? hpcvirt("vm", "checkpoint", "lvc", "--live") : hpcvirt("vm", "checkpoint", "lvc");
        assertThat(r.code()).as(r.toString()).isZero();
        System.out.println("$ hpcvirt vm checkpoint lvc" + (live ? " --live" : "") + "\n" + r.out());
        String id = r.out().lines().findFirst().orElseThrow().strip();
        return node.client().checkpointInfo(id, false);
    }

    /** Stops lvc, writes nothing more, and restores it from {@code m} with {@code hpcvirt vm restore}. */
    private static VmStatus stopAndRestore(CheckpointManifest m) {
        node.client().stop("lvc", true, T);
        await().atMost(T).until(() -> node.client().status("lvc").state() == VmState.STOPPED);
        InProcessCli.Run r = hpcvirt("vm", "restore", m.id());
        assertThat(r.code()).as(r.toString()).isZero();
        System.out.println("$ hpcvirt vm restore " + m.id() + "\n" + r.out());
        VmStatus s = node.client().status("lvc");
        assertThat(s.state()).isEqualTo(VmState.RUNNING);
        assertThat(s.backend()).isEqualTo("libvirt");
        return s;
    }

    private static void heartbeatsGoOnFrom(CheckpointManifest m) {
        long seq = node.client().status("lvc").lastHeartbeatSeq();
        assertThat(seq).as("the sequence continues, not restarted").isGreaterThanOrEqualTo(m.heartbeatSeq());
        await().atMost(T).until(() -> node.client().status("lvc").lastHeartbeatSeq() > seq + 2);
    }

    @Test
    @Order(1)
    void aPausedCheckpointRestoresTheDiskAsItWasThen() {
        exec("echo one > /data/f && sync");
        CheckpointManifest m = checkpoint(false);
        assertThat(m.backend()).isEqualTo("libvirt");
        assertThat(m.live()).isFalse();
        assertThat(m.layers()).hasSize(1);
        assertThat(m.files()).allSatisfy(f -> assertThat(f.sha256()).hasSize(64));
        assertThat(node.client().status("lvc").state()).isEqualTo(VmState.RUNNING);
        exec("echo two > /data/f && echo x > /data/later && sync");

        stopAndRestore(m);
        assertThat(exec("cat /data/f")).isEqualTo("one\n");
        assertThat(node.client().exec("lvc", "ls /data/later", T).exitCode()).as("written after the checkpoint").isNotZero();
        heartbeatsGoOnFrom(m);
    }

    @Test
    @Order(2)
    void aLiveCheckpointRestoresTheDiskAsItWasThen() {
        exec("echo three > /data/g && sync");
        CheckpointManifest m = checkpoint(true);
        assertThat(m.live()).isTrue();
        assertThat(m.layers()).as("a layer more on the restored chain").hasSize(2);
        exec("echo four > /data/g && sync");
        await().atMost(T).until(() -> node.client().status("lvc").lastHeartbeatSeq() > m.heartbeatSeq() + 2);

        stopAndRestore(m);
        assertThat(exec("cat /data/f /data/g")).isEqualTo("one\nthree\n");
        heartbeatsGoOnFrom(m);
    }

    @Test
    @Order(3)
    void suspendFreesTheDomainAndWakeContinues() {
        exec("echo suspended > /data/s && sync");
        CheckpointManifest m = node.client().suspend("lvc");
        assertThat(node.client().status("lvc").state()).isEqualTo(VmState.SUSPENDED);
        assertThat(node.client().status("lvc").pid()).isZero();
        VmStatus w = node.client().wake("lvc", T);
        assertThat(w.state()).isEqualTo(VmState.RUNNING);
        assertThat(exec("cat /data/s /data/f")).isEqualTo("suspended\none\n");
        heartbeatsGoOnFrom(m);
    }

    /** libvirt restores a domain only under the name and UUID it was saved with: not while that domain runs. */
    @Test
    @Order(4)
    void aRestoreUnderAnotherNameWhileTheSavedDomainRunsIsAClearError() {
        CheckpointManifest m = checkpoint(false);
        assertThatThrownBy(() -> node.client().restore(m.id(), "lvc2", true, T)).isInstanceOf(HpcvirtException.class)
                .hasMessageContaining("keeps the name it was saved with, and domain " + DOMAIN + " runs: stop it first");
        assertThat(node.client().list()).extracting(VmStatus::name).doesNotContain("lvc2");
        assertThat(node.client().status("lvc").state()).isEqualTo(VmState.RUNNING);
    }

    @Test
    @Order(5)
    void aLibvirtCheckpointIsNotRestoredOntoAnotherBackend() {
        CheckpointManifest m = node.client().checkpoints("lvc").get(0);
        node.define("lvq", "disk:\n  size: 64M\n");
        assertThatThrownBy(() -> node.client().restore(m.id(), "lvq", true, T)).isInstanceOf(HpcvirtException.class)
                .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.INVALID_INPUT))
                .hasMessageContaining("taken by backend 'libvirt'").hasMessageContaining("runs on backend 'qemu'");
        assertThat(node.client().status("lvq").state()).isNotEqualTo(VmState.RUNNING);
    }
}
