package org.hpcvirt.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TcpListenerTest {
    @TempDir
    Path dir;

    @Test
    void parsesAddressAndReadsTheTokensFirstLine() throws Exception {
        Path f = Files.writeString(dir.resolve("token"), "  s3cret-token  \nignored\n");
        TcpListener l = TcpListener.of("10.200.0.1:7700", f);
        assertThat(l.host()).isEqualTo("10.200.0.1");
        assertThat(l.port()).isEqualTo(7700);
        assertThat(l.token()).isEqualTo("s3cret-token");
        assertThat(l.toString()).doesNotContain("s3cret");
    }

    @Test
    void onlyTheExactBearerHeaderIsAuthorized() {
        TcpListener l = new TcpListener("127.0.0.1", 0, "abc");
        assertThat(l.authorizes("Bearer abc")).isTrue();
        assertThat(l.authorizes("Bearer abcd")).isFalse();
        assertThat(l.authorizes("Bearer ab")).isFalse();
        assertThat(l.authorizes("bearer abc")).isFalse();
        assertThat(l.authorizes("abc")).isFalse();
        assertThat(l.authorizes(null)).isFalse();
    }

    @Test
    void malformedListenOrMissingTokenIsInvalidInput() throws Exception {
        Path empty = Files.writeString(dir.resolve("empty"), "\n");
        for (Runnable bad : new Runnable[] {
                () -> TcpListener.of("10.200.0.1", dir.resolve("x")),
                () -> TcpListener.of("10.200.0.1:http", dir.resolve("x")),
                () -> TcpListener.of("10.200.0.1:70000", dir.resolve("x")),
                () -> TcpListener.of("10.200.0.1:7700", null),
                () -> TcpListener.of("10.200.0.1:7700", dir.resolve("missing")),
                () -> TcpListener.of("10.200.0.1:7700", empty)}) {
            assertThatThrownBy(bad::run).isInstanceOf(HpcvirtException.class)
                    .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.INVALID_INPUT));
        }
    }

    @Test
    void remoteClientsNeedAnHttpHostPortUrlAndAToken() {
        assertThatThrownBy(() -> DaemonClient.remote("10.200.0.1:7700", "t")).isInstanceOf(HpcvirtException.class);
        assertThatThrownBy(() -> DaemonClient.remote("https://10.200.0.1:7700", "t")).isInstanceOf(HpcvirtException.class);
        assertThatThrownBy(() -> DaemonClient.remote("http://10.200.0.1", "t")).isInstanceOf(HpcvirtException.class);
        assertThatThrownBy(() -> DaemonClient.remote("http://10.200.0.1:7700", "")).isInstanceOf(HpcvirtException.class);
        try (DaemonClient c = DaemonClient.remote("http://10.200.0.1:7700/", "t")) {
            assertThat(c.endpoint()).isEqualTo("http://10.200.0.1:7700");
        }
    }
}
