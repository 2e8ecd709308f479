package org.hpcvirt.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Operation;
import org.hpcvirt.api.VmState;
import org.hpcvirt.guest.GuestChannel;
import org.hpcvirt.guest.Heartbeat;
import org.hpcvirt.vm.VmStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The libvirt backend through a real daemon and a real libvirtd: a profile with
 * {@code backend: libvirt} boots, heartbeats, pauses and is refused what the backend lacks; and
 * {@code vm export --format libvirt} gives XML that {@code virsh define} accepts and that boots the
 * same guest (its agent heartbeats on the exported channel). Starts libvirtd unless it runs; every
 * domain it made and every daemon it started is gone afterwards, also on failure.
 */
class LibvirtIT {
    private static final LibvirtDaemons LIBVIRT = new LibvirtDaemons();
    private static final List<String> DOMAINS = new ArrayList<>();
    private static TestNode node;

    @BeforeAll
    static void up() {
        assertThat(LIBVIRT.up()).as("libvirtd must be startable here").isNull();
        node = TestNode.start();
    }

    @AfterAll
    static void down() {
        try {
            for (String d : DOMAINS) {
                virsh(false, "destroy", d);
                virsh(false, "undefine", d);
            }
            if (node != null) {
                node.close();
            }
        } finally {
            LIBVIRT.down();
        }
    }

    private static String virsh(boolean check, String... args) {
        List<String> cmd = new ArrayList<>(List.of("virsh", "-q", "-c", "qemu:///system"));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            if (check) {
                assertThat(p.exitValue()).as(String.join(" ", cmd) + ": " + out).isZero();
            }
            return out;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static String profile(String name, String backend, String extra) {
        return "name: " + name + "\nbackend: " + backend + "\ncpus: 1\nmemory: 128M\nimage: " + TestNode.IMAGE + "\n"
                + "heartbeat:\n  interval: 200ms\n  timeout: 2s\n" + extra;
    }

    @Test
    void aLibvirtVmBootsHeartbeatsPausesAndIsRefusedWhatLibvirtLacks() throws Exception {
        var c = node.client();
        DOMAINS.add("hpcvirt-lv1");
        c.define(profile("lv1", "libvirt", "disk:\n  size: 64M\n"), "lv1.yaml");
        VmStatus s = c.start("lv1", true, Duration.ofSeconds(120));
        assertThat(s.state()).as(node.console("lv1")).isEqualTo(VmState.RUNNING);
        assertThat(s.backend()).isEqualTo("libvirt");
        assertThat(virsh(true, "domstate", "hpcvirt-lv1").strip()).isEqualTo("running");
        // the pid the daemon reports is the domain's QEMU, from libvirt's pid file
        assertThat(s.pid()).isEqualTo(Long.parseLong(Files.readString(Path.of("/run/libvirt/qemu/hpcvirt-lv1.pid")).strip()));
        await().atMost(Duration.ofSeconds(30)).until(() -> c.status("lv1").lastHeartbeatSeq() > 2);

        assertThat(c.pause("lv1").state()).isEqualTo(VmState.PAUSED);
        assertThat(virsh(true, "domstate", "hpcvirt-lv1").strip()).isEqualTo("paused");
        assertThat(c.resume("lv1").state()).isEqualTo(VmState.RUNNING);

        assertThatThrownBy(() -> c.execute(new Operation.Migrate("lv1", "http://127.0.0.1:9", null, null, null, null)))
                .isInstanceOf(HpcvirtException.class)
                .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.REFUSED))
                .hasMessageContaining("migrating 'lv1': backend 'libvirt' has no migrate (libvirtd at qemu:///system has no TCP listener on port 16509");
        assertThat(c.status("lv1").state()).isEqualTo(VmState.RUNNING);

        // a guest panic: libvirt's crashed event is GUEST_PANICKED, and the domain is kept for inspection
        assertThat(c.exec("lv1", "(sleep 0.3; echo c > /proc/sysrq-trigger) >/dev/null 2>&1 &", Duration.ofSeconds(10)).exitCode()).isZero();
        await().atMost(Duration.ofSeconds(30)).until(() -> c.status("lv1").state() == VmState.PANICKED);
        assertThat(c.events("lv1", 0, 1000))
                .extracting(org.hpcvirt.api.VmEvent::type).contains(org.hpcvirt.api.VmEvent.Type.GUEST_PANICKED);
        assertThat(virsh(true, "domstate", "hpcvirt-lv1").strip()).isEqualTo("crashed");

        c.destroy("lv1");
        assertThat(virsh(false, "domstate", "hpcvirt-lv1")).contains("failed to get domain");
    }

    @Test
    void anExportedVmIsDefinedByVirshAndBootsTheSameGuest() throws Exception {
        var c = node.client();
        // a qemu VM with a data disk: started once so that its disk exists, then stopped
        node.define("ex1", "disk:\n  size: 64M\n");
        assertThat(c.start("ex1", true, Duration.ofSeconds(120)).state()).isEqualTo(VmState.RUNNING);
        c.stop("ex1", true, Duration.ofSeconds(30));
        await().atMost(Duration.ofSeconds(30)).until(() -> c.status("ex1").state() == VmState.STOPPED);

        String xml = c.export("ex1", "libvirt").document();
        assertThat(xml).contains("<name>hpcvirt-ex1</name>", "org.hpcvirt.agent", "pvpanic-pci", "data.qcow2");
        Path file = Files.createTempFile("ex1", ".xml");
        DOMAINS.add("hpcvirt-ex1");
        GuestChannel ch = null;
        try {
            Files.writeString(file, xml);
            virsh(true, "define", file.toString());
            assertThat(virsh(true, "list", "--all", "--name").lines()).contains("hpcvirt-ex1");
            assertThat(virsh(true, "domstate", "hpcvirt-ex1").strip()).isEqualTo("shut off");
            virsh(true, "start", "hpcvirt-ex1");
            Path agent = node.layout().runDir("ex1").resolve("agent.sock");
            await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(agent));
            AtomicLong beats = new AtomicLong();
            ch = GuestChannel.connect(agent, new GuestChannel.Listener() {
                @Override
                public void onHeartbeat(Heartbeat hb) {
                    beats.incrementAndGet();
                }
            });
            await("heartbeats on the exported domain's agent channel").atMost(Duration.ofSeconds(90)).until(() -> beats.get() >= 2);
            assertThat(node.console("ex1")).contains("hpcvirt: init done");
        } finally {
            if (ch != null) {
                ch.close();
            }
            virsh(false, "destroy", "hpcvirt-ex1");
            virsh(true, "undefine", "hpcvirt-ex1");
            Files.deleteIfExists(file);
        }
        assertThat(virsh(false, "domstate", "hpcvirt-ex1")).contains("failed to get domain");
        assertThatThrownBy(() -> c.export("ex1", "vmware")).isInstanceOf(HpcvirtException.class)
                .hasMessageContaining("unknown export format 'vmware' (known: libvirt)");
    }
}
