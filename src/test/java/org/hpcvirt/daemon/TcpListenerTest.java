package org.hpcvirt.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.hpcvirt.api.Access;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.cluster.ClusterAuthority;
import org.hpcvirt.cluster.NodeSpec;
import org.hpcvirt.cluster.TlsMaterial;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TcpListenerTest {
    @TempDir
    Path dir;

    private Path nodeDir() {
        ClusterAuthority ca = ClusterAuthority.create(dir.resolve("c"), Duration.ofDays(2), false);
        ca.issue(new NodeSpec("n1", List.of("10.200.0.1")), Duration.ofDays(1));
        return ca.nodeDir("n1");
    }

    @Test
    void tlsListenerUsesTheNodesMaterialAndNamesItsUrl() {
        TcpListener l = TcpListener.of("10.200.0.1:7700", nodeDir(), null, null, false);
        assertThat(l.host()).isEqualTo("10.200.0.1");
        assertThat(l.port()).isEqualTo(7700);
        assertThat(l.secure()).isTrue();
        assertThat(l.url()).isEqualTo("https://10.200.0.1:7700");
        assertThat(l.tls().nodeName()).isEqualTo("n1");
        assertThat(l.outgoing().tls()).isEqualTo(l.tls());
        assertThat(l.outgoing().plainAllowed()).isFalse();
        assertThat(l.outgoing().token()).isNull();
    }

    @Test
    void plainTcpIsRefusedWithoutTheLabSwitch() throws Exception {
        Path token = Files.writeString(dir.resolve("token"), "s3cret\n");
        assertThatThrownBy(() -> TcpListener.of("10.200.0.1:7700", null, null, token, false))
                .isInstanceOf(HpcvirtException.class)
                .hasMessageContaining("--listen needs --tls DIR").hasMessageContaining("--insecure-plain-tcp");
        TcpListener lab = TcpListener.of("10.200.0.1:7700", null, null, token, true);
        assertThat(lab.secure()).isFalse();
        assertThat(lab.url()).isEqualTo("http://10.200.0.1:7700");
        assertThat(lab.toString()).contains("PLAIN TCP").doesNotContain("s3cret");
        assertThat(lab.outgoing().plainAllowed()).isTrue();
        assertThat(lab.acceptedTokens().find("s3cret")).get().satisfies(e -> assertThat(e.scope()).isEqualTo(Access.ADMIN));
        assertThat(lab.acceptedTokens().find("s3cre")).isEmpty();
    }

    @Test
    void malformedListenOrMissingMaterialIsInvalidInput() throws Exception {
        Path empty = Files.writeString(dir.resolve("empty"), "\n");
        Path node = nodeDir();
        for (Runnable bad : new Runnable[] {
                () -> TcpListener.of("10.200.0.1", node, null, null, false),
                () -> TcpListener.of("10.200.0.1:http", node, null, null, false),
                () -> TcpListener.of("10.200.0.1:70000", node, null, null, false),
                () -> TcpListener.of("10.200.0.1:7700", dir.resolve("missing"), null, null, false),
                // the cluster directory has a trust store but no node key
                () -> TcpListener.of("10.200.0.1:7700", dir.resolve("c"), null, null, false),
                () -> TcpListener.of("10.200.0.1:7700", node, null, null, true),
                () -> TcpListener.of("10.200.0.1:7700", node, dir.resolve("no-tokens"), null, false),
                () -> TcpListener.of("10.200.0.1:7700", null, null, null, true),
                () -> TcpListener.of("10.200.0.1:7700", null, null, dir.resolve("missing"), true),
                () -> TcpListener.of("10.200.0.1:7700", null, null, empty, true)}) {
            assertThatThrownBy(bad::run).isInstanceOf(HpcvirtException.class)
                    .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.INVALID_INPUT));
        }
    }

    @Test
    void remoteClientsNeedHttpsOrTheLabSwitchAndSomethingToAuthenticateWith() {
        TlsMaterial node = TlsMaterial.load(nodeDir());
        TlsMaterial trustOnly = TlsMaterial.load(dir.resolve("c"));
        assertThatThrownBy(() -> DaemonClient.remote("10.200.0.1:7700", RemoteAuth.node(node))).isInstanceOf(HpcvirtException.class);
        assertThatThrownBy(() -> DaemonClient.remote("https://10.200.0.1", RemoteAuth.node(node))).isInstanceOf(HpcvirtException.class);
        // no token in clear: http:// only under the lab switch
        assertThatThrownBy(() -> DaemonClient.remote("http://10.200.0.1:7700", RemoteAuth.token(trustOnly, "t")))
                .isInstanceOf(HpcvirtException.class).hasMessageContaining("plain http:// is refused");
        assertThatThrownBy(() -> DaemonClient.remote("http://10.200.0.1:7700", RemoteAuth.node(node)))
                .isInstanceOf(HpcvirtException.class).hasMessageContaining("plain http:// is refused");
        assertThatThrownBy(() -> DaemonClient.remote("https://10.200.0.1:7700", RemoteAuth.plainLab("t")))
                .isInstanceOf(HpcvirtException.class).hasMessageContaining("trust store");
        assertThatThrownBy(() -> DaemonClient.remote("https://10.200.0.1:7700", RemoteAuth.token(trustOnly, null)))
                .isInstanceOf(HpcvirtException.class).hasMessageContaining("needs a node certificate");
        assertThatThrownBy(() -> new RemoteAuth(null, "t", false)).isInstanceOf(HpcvirtException.class);
        try (DaemonClient c = DaemonClient.remote("https://10.200.0.1:7700/", RemoteAuth.node(node))) {
            assertThat(c.endpoint()).isEqualTo("https://10.200.0.1:7700");
        }
        try (DaemonClient c = DaemonClient.remote("http://10.200.0.1:7700", RemoteAuth.plainLab("t"))) {
            assertThat(c.endpoint()).isEqualTo("http://10.200.0.1:7700");
        }
    }
}
