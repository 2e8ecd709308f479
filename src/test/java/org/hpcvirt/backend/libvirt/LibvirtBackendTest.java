package org.hpcvirt.backend.libvirt;

import org.hpcvirt.backend.Capabilities;
import org.hpcvirt.backend.Capability;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.hpcvirt.api.DirectoryTree;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.backend.Checkpointable;
import org.hpcvirt.backend.DiskSnapshots;
import org.hpcvirt.backend.IncomingLaunch;
import org.hpcvirt.backend.LaunchSpec;
import org.hpcvirt.backend.MemoryAccess;
import org.hpcvirt.backend.Migratable;
import org.hpcvirt.backend.ProbeResult;
import org.hpcvirt.profile.VmProfile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The libvirt backend without a libvirtd: what it says when libvirtd is down or hangs, and what it lacks. */
class LibvirtBackendTest {
    private Path dir;

    @BeforeEach
    void dir() throws Exception {
        dir = Files.createTempDirectory(Path.of("/tmp"), "lvt");
    }

    @AfterEach
    void clean() {
        DirectoryTree.deleteQuietly(dir);
    }

    private static VmProfile profile() {
        return new VmProfile("lv1", "libvirt", 1, 96L << 20, null, VmProfile.Network.NONE, "default", Duration.ofMillis(200),
                Duration.ofSeconds(2), List.of(), "", null);
    }

    @Test
    void libvirtdDownIsBackendUnavailableWithTheReason() {
        LibvirtBackend b = new LibvirtBackend("qemu:///system?socket=" + dir.resolve("no-such.sock"), Duration.ofSeconds(3));
        ProbeResult p = b.probe();
        assertThat(p.usable()).isFalse();
        assertThat(p.reason()).contains("cannot connect to libvirtd").contains("no-such.sock").contains("libvirtd -d");
        assertThatThrownBy(() -> b.launch(new LaunchSpec(profile(), dir, Path.of("/k"), Path.of("/i"), null, null, false)))
                .isInstanceOf(HpcvirtException.class)
                .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.BACKEND_UNAVAILABLE))
                .hasMessageContaining("backend 'libvirt' cannot run here");
        assertThat(dir.resolve("domain.xml")).doesNotExist();
    }

    /** A socket that accepts but never answers: the probe gives up at its deadline instead of hanging. */
    @Test
    void aLibvirtdThatNeverAnswersIsUnavailableAtTheDeadline() throws Exception {
        Path sock = dir.resolve("silent.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            Thread acceptor = new Thread(() -> {
                // reads what the client sends and never answers, until the client goes away
                try (SocketChannel c = server.accept()) {
                    java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(1 << 16);
                    while (c.read(buf) >= 0) {
                        buf.clear();
                    }
                } catch (java.io.IOException e) {
                    // closed at the end of the test
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            LibvirtBackend b = new LibvirtBackend("qemu:///system?socket=" + sock, Duration.ofMillis(800));
            ProbeResult p = b.probe();
            assertThat(p.usable()).isFalse();
            assertThat(p.reason()).contains("did not answer within 800 ms");
        }
    }

    @Test
    void checkpointsButLacksMigrationAndSaysWhy() {
        LibvirtBackend b = LibvirtBackend.system();
        if (b.probe().usable()) {
            Capabilities c = b.capabilities();
            assertThat(c.has(Capability.CHECKPOINT)).isTrue();
            // the host's libvirtd (bench/libvirt-setup.sh) runs without a TCP listener
            assertThat(c.reasonAbsent(Capability.MIGRATE)).hasValueSatisfying(r -> assertThat(r)
                    .contains("libvirtd at qemu:///system has no TCP listener on port 16509").contains("listen_tcp = 1"));
            assertThat(c.has(Capability.PAUSE)).isTrue();
            assertThat(c.has(Capability.MEMORY_ACCESS)).isTrue();
        } else {
            // without libvirtd every cell is absent with the probe's reason
            assertThat(b.capabilities().reasonAbsent(Capability.PAUSE)).contains(b.probe().reason());
        }
        assertThat(b.capability(IncomingLaunch.class)).isEmpty();
        assertThat(b.capability(MemoryAccess.Provider.class)).isPresent();
    }

    @Test
    void withoutLibvirtdMigrationIsAbsentWithTheReason() {
        LibvirtBackend b = new LibvirtBackend("qemu:///system?socket=" + dir.resolve("no-such.sock"), Duration.ofSeconds(3));
        assertThat(b.migrationUnavailable()).hasValueSatisfying(r -> assertThat(r).startsWith(LibvirtBackend.NO_MIGRATION)
                .contains("no-such.sock"));
        assertThat(b.capability(IncomingLaunch.class)).isEmpty();
    }

    @Test
    void aRestoreWithLibvirtdDownIsBackendUnavailable() {
        LibvirtBackend b = new LibvirtBackend("qemu:///system?socket=" + dir.resolve("no-such.sock"), Duration.ofSeconds(3));
        assertThatThrownBy(() -> b.launch(new LaunchSpec(profile(), dir, Path.of("/k"), Path.of("/i"), null, dir.resolve("state"), false)))
                .isInstanceOf(HpcvirtException.class)
                .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.BACKEND_UNAVAILABLE))
                .hasMessageContaining("backend 'libvirt' cannot run here");
    }

    /** A state file another backend wrote (here: not a libvirt save image at all) is refused, naming the file. */
    @Test
    void aStateFileLibvirtDidNotWriteIsRefused() throws Exception {
        LibvirtBackend b = LibvirtBackend.system();
        Path state = java.nio.file.Files.writeString(dir.resolve("qemu-state.bin"), "QEVM not a libvirt save image");
        boolean usable = b.probe().usable();
        assertThatThrownBy(() -> b.launch(new LaunchSpec(profile(), dir, Path.of("/k"), Path.of("/i"), null, state, true)))
                .isInstanceOf(HpcvirtException.class)
                .satisfies(e -> assertThat(((HpcvirtException) e).code())
                        .isEqualTo(usable ? ErrorCode.REFUSED : ErrorCode.BACKEND_UNAVAILABLE))
                .hasMessageContaining(usable ? "state file " + state + " is not one backend 'libvirt' wrote" : "cannot run here");
    }
}
