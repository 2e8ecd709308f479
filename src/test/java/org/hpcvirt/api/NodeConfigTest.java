package org.hpcvirt.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** The node's settings from its environment: defaults, values, and errors that name the variable. */
class NodeConfigTest {
    private static Properties props() {
        Properties p = new Properties();
        p.setProperty("user.home", "/home/u");
        return p;
    }

    @Test
    void defaultsWithAnEmptyEnvironment() {
        NodeConfig c = NodeConfig.from(Map.of(), props());
        assertThat(c.home()).isEqualTo(Path.of("/home/u/.local/share/hpcvirt"));
        assertThat(c.store()).isNull();
        assertThat(c.checkpointStore(Path.of("/h"))).isEqualTo(Path.of("/h/checkpoints"));
        assertThat(c.qemuBinary()).isEqualTo("qemu-system-x86_64");
        assertThat(c.peers()).isEmpty();
        assertThat(c.maxDiskLayers()).isEqualTo(NodeConfig.DEFAULT_MAX_DISK_LAYERS);
        assertThat(c.listen()).isNull();
        assertThat(c.tokenFile()).isNull();
        assertThat(c.metrics()).isNull();
        assertThat(c.debug()).isFalse();
        assertThat(c.homeFixed()).isFalse();
        assertThat(c.nodeName()).isNotBlank();
        assertThat(c.tls()).isNull();
        assertThat(c.insecureTcp()).as("plain TCP is off unless switched on").isFalse();
        assertThat(c.nodeWatch()).isEqualTo(NodeConfig.DEFAULT_NODE_WATCH);
    }

    @Test
    void everyVariableIsRead() {
        NodeConfig c = NodeConfig.from(Map.ofEntries(Map.entry("HPCVIRT_HOME", "/tmp/hv"),
                Map.entry("HPCVIRT_STORE", "/shared/ck"),
                Map.entry("HPCVIRT_QEMU", "/opt/q"),
                Map.entry("HPCVIRT_NODE", "n1"),
                Map.entry("HPCVIRT_PEERS", "n2=https://10.200.0.2:7700, n3=http://10.200.0.3:7700/"),
                Map.entry("HPCVIRT_MAX_DISK_LAYERS", " 3 "),
                Map.entry("HPCVIRT_LISTEN", "10.200.0.1:7700"),
                Map.entry("HPCVIRT_TOKEN_FILE", "/etc/t"),
                Map.entry("HPCVIRT_METRICS", " 127.0.0.1:9464 "),
                Map.entry("HPCVIRT_DEBUG", "1"),
                Map.entry("HPCVIRT_TLS", "/etc/hv/nodes/n1"),
                Map.entry("HPCVIRT_TOKENS", "/etc/hv/tokens"),
                Map.entry("HPCVIRT_INSECURE_TCP", "yes"),
                Map.entry("HPCVIRT_NODE_WATCH", "8s")), props());
        assertThat(c.home()).isEqualTo(Path.of("/tmp/hv"));
        assertThat(c.homeFixed()).isTrue();
        assertThat(c.store()).isEqualTo(Path.of("/shared/ck"));
        assertThat(c.qemuBinary()).isEqualTo("/opt/q");
        assertThat(c.nodeName()).isEqualTo("n1");
        assertThat(c.peers()).containsExactly(Map.entry("n2", "https://10.200.0.2:7700"), Map.entry("n3", "http://10.200.0.3:7700"));
        assertThat(c.maxDiskLayers()).isEqualTo(3);
        assertThat(c.listen()).isEqualTo("10.200.0.1:7700");
        assertThat(c.tokenFile()).isEqualTo(Path.of("/etc/t"));
        assertThat(c.metrics()).isEqualTo("127.0.0.1:9464");
        assertThat(c.debug()).isTrue();
        assertThat(c.tls()).isEqualTo(Path.of("/etc/hv/nodes/n1"));
        assertThat(c.tokens()).isEqualTo(Path.of("/etc/hv/tokens"));
        assertThat(c.insecureTcp()).isTrue();
        assertThat(c.nodeWatch()).isEqualTo(java.time.Duration.ofSeconds(8));
        assertThat(NodeConfig.from(Map.of("HPCVIRT_NODE_WATCH", "OFF"), props()).nodeWatch()).as("off").isNull();
    }

    @Test
    void xdgDataHomeIsUsedWithoutHpcvirtHome() {
        assertThat(NodeConfig.from(Map.of("XDG_DATA_HOME", "/x"), props()).home()).isEqualTo(Path.of("/x/hpcvirt"));
    }

    @Test
    void malformedValuesAreRefusedNamingEachVariableAtOnce() {
        for (String bad : new String[] {"abc", "0", "-2", "10001", "1.5"}) {
            assertThatThrownBy(() -> NodeConfig.from(Map.of("HPCVIRT_MAX_DISK_LAYERS", bad), props())).as(bad)
                    .isInstanceOf(HpcvirtException.class).hasMessageContaining("HPCVIRT_MAX_DISK_LAYERS")
                    .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.INVALID_INPUT));
        }
        assertThatThrownBy(() -> NodeConfig.from(Map.of("HPCVIRT_PEERS", "n2=ftp://x:1", "HPCVIRT_NODE", "bad name!",
                "HPCVIRT_INSECURE_TCP", "maybe"), props()))
                .hasMessageContaining("HPCVIRT_PEERS: 'n2=ftp://x:1' is not NAME=https://HOST:PORT")
                .hasMessageContaining("HPCVIRT_INSECURE_TCP: 'maybe' is not yes or no")
                .hasMessageContaining("HPCVIRT_NODE");
        assertThatThrownBy(() -> NodeConfig.from(Map.of("HPCVIRT_NODE_WATCH", "5"), props()))
                .hasMessage("HPCVIRT_NODE_WATCH: '5' is not a duration (or 'off'; use e.g. 500ms, 90s, 10m, 24h, 7d, 125y)");
        assertThatThrownBy(() -> NodeConfig.from(Map.of("HPCVIRT_NODE_WATCH", "500ms"), props()))
                .hasMessage("HPCVIRT_NODE_WATCH: '500ms' is outside 1s to 10m (or 'off')");
    }
}
