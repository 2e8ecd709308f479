package org.hpcvirt.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.hpcvirt.api.DirectoryTree;
import org.hpcvirt.api.NodeConfig;
import org.hpcvirt.api.Operations;
import org.hpcvirt.vm.NodeLayout;
import org.junit.jupiter.api.Test;

/** The composition root registers one handler for every operation. */
class NodeServicesTest {
    @Test
    void everyOperationHasAHandler() throws Exception {
        Path home = Files.createTempDirectory(Path.of("/tmp"), "hv-ns");
        Properties p = new Properties();
        p.setProperty("user.home", home.toString());
        try (NodeServices node = new NodeServices(new NodeLayout(home).ensure(), Daemon.defaultBackends(),
                NodeConfig.from(Map.of("HPCVIRT_NODE", "t1"), p), null, () -> { })) {
            assertThat(node.dispatcher().handled()).containsExactlyInAnyOrderElementsOf(Operations.all());
        } finally {
            DirectoryTree.deleteQuietly(home);
        }
    }
}
