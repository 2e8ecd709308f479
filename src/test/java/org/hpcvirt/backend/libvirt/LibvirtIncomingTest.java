package org.hpcvirt.backend.libvirt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.hpcvirt.api.DirectoryTree;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.backend.InstanceListener;
import org.hpcvirt.backend.Migratable;
import org.hpcvirt.backend.Pausable;
import org.hpcvirt.backend.RunState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The destination placeholder of a libvirt migration before any domain arrives (no libvirtd needed). */
class LibvirtIncomingTest {
    private Path dir;
    private LibvirtIncoming in;

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createTempDirectory(Path.of("/tmp"), "lvi");
        String uri = "qemu:///system?socket=" + dir.resolve("no-such.sock");
        in = new LibvirtIncoming(new LibvirtBackend(uri, Duration.ofSeconds(2)), uri, Duration.ofSeconds(2), dir, "hpcvirt-vm1");
    }

    @AfterEach
    void clean() {
        in.close();
        DirectoryTree.deleteQuietly(dir);
    }

    @Test
    void waitsWithoutAProcessAndHidesTheAgentSocketUntilTheDomainArrives() {
        assertThat(in.pid()).isZero();
        assertThat(in.isAlive()).isTrue();
        assertThat(in.runState()).isEqualTo(RunState.INCOMING);
        assertThat(in.guestChannelSocket()).isNotEqualTo(dir.resolve("agent.sock")).doesNotExist();
        assertThat(in.consoleLog().getParent()).isEqualTo(dir);
        Migratable m = in.capability(Migratable.class).orElseThrow();
        assertThat(m.acceptIncoming("tcp:10.200.70.2:0"))
                .isEqualTo("libvirt:qemu+tcp://10.200.70.2:16509/system;migrate=tcp://10.200.70.2;run=" + dir);
        assertThat(m.cancelOutgoing(Duration.ofSeconds(1))).isEqualTo(Migratable.Outgoing.NONE);
        assertThatThrownBy(() -> in.capability(Pausable.class).orElseThrow().pause()).isInstanceOf(HpcvirtException.class)
                .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.WRONG_STATE))
                .hasMessageContaining("domain hpcvirt-vm1: it has not arrived from the source yet");
    }

    @Test
    void parallelConnectionsAndResumingBeforeAcceptingAreRefused() {
        Migratable m = in.capability(Migratable.class).orElseThrow();
        assertThatThrownBy(() -> m.awaitIncomingAndResume(Duration.ofSeconds(1))).isInstanceOf(HpcvirtException.class)
                .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.WRONG_STATE));
        assertThatThrownBy(() -> m.acceptIncoming("tcp:10.200.70.2:0", 4)).isInstanceOf(HpcvirtException.class)
                .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.INVALID_INPUT))
                .hasMessageContaining("over one connection, not 4");
    }

    @Test
    void killedBeforeArrivalItEndsOnceAndResumingThenFails() {
        List<InstanceListener.Kind> seen = new ArrayList<>();
        in.addListener((kind, name, data) -> seen.add(kind));
        Migratable m = in.capability(Migratable.class).orElseThrow();
        m.acceptIncoming("tcp:10.200.70.2:0");
        in.kill();
        in.kill();
        assertThat(seen).containsExactly(InstanceListener.Kind.EXITED);
        assertThat(in.isAlive()).isFalse();
        assertThat(in.runState()).isEqualTo(RunState.EXITED);
        assertThatThrownBy(() -> m.awaitIncomingAndResume(Duration.ofSeconds(1))).isInstanceOf(HpcvirtException.class)
                .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.OPERATION_FAILED))
                .hasMessageContaining("was ended here");
    }

    @Test
    void anArrivalThatNeverComesTimesOutNamingTheLibvirtd() throws Exception {
        // a libvirtd that is gone: the wait cannot even connect
        Migratable m = in.capability(Migratable.class).orElseThrow();
        m.acceptIncoming("tcp:10.200.70.2:0");
        assertThatThrownBy(() -> m.awaitIncomingAndResume(Duration.ofSeconds(1))).isInstanceOf(HpcvirtException.class)
                .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.BACKEND_UNAVAILABLE))
                .hasMessageContaining("no-such.sock");
    }
}
