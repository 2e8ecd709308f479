package org.hpcvirt.backend.container;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.hpcvirt.backend.RunState;
import org.hpcvirt.profile.VmProfile;
import org.junit.jupiter.api.Test;

/** The OCI configuration a profile becomes, as crun reads it (JSON). */
class OciConfigTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static VmProfile profile(int cpus, long memory, List<Integer> pinning) {
        return new VmProfile("web1", "container", cpus, memory, null, VmProfile.Network.NONE, "default",
                Duration.ofMillis(250), Duration.ofSeconds(2), pinning, "", null);
    }

    private static JsonNode json(VmProfile p) {
        Map<String, Object> c = OciConfig.build(p, Path.of("/images/default/rootfs"), Path.of("/run/vm/channel"), "echo init",
                "boot-1", "/hpcvirt/hpcvirt-web1-1");
        return JSON.valueToTree(c);
    }

    @Test
    void cpusBecomeACfsQuotaAndMemoryAHardLimitWithoutSwap() {
        JsonNode r = json(profile(2, 96L << 20, List.of())).path("linux").path("resources");
        assertThat(r.path("cpu").path("quota").asLong()).isEqualTo(200_000);
        assertThat(r.path("cpu").path("period").asLong()).isEqualTo(100_000);
        assertThat(r.path("cpu").has("cpus")).as("no cpuset without pinning").isFalse();
        assertThat(r.path("memory").path("limit").asLong()).isEqualTo(96L << 20);
        assertThat(r.path("memory").path("swap").asLong()).as("memory+swap = memory: no swap on top").isEqualTo(96L << 20);
    }

    @Test
    void pinningBecomesACpuset() {
        JsonNode cpu = json(profile(1, 64L << 20, List.of(0, 1))).path("linux").path("resources").path("cpu");
        assertThat(cpu.path("cpus").asText()).isEqualTo("0,1");
        assertThat(cpu.path("quota").asLong()).isEqualTo(100_000);
    }

    @Test
    void theAgentListensOnASocketInTheBindMountedChannelDirectory() {
        JsonNode c = json(profile(1, 64L << 20, List.of()));
        assertThat(c.path("process").path("args")).extracting(JsonNode::asText).containsExactly("/bin/sh", "-c", "echo init");
        assertThat(c.path("process").path("env")).extracting(JsonNode::asText)
                .contains("HPCVIRT_AGENT_SOCKET=/run/hpcvirt/agent.sock", "HPCVIRT_HB_MS=250", "HPCVIRT_BOOT_ID=boot-1");
        JsonNode bind = null;
        for (JsonNode m : c.path("mounts")) {
            if (m.path("destination").asText().equals("/run/hpcvirt")) {
                bind = m;
            }
        }
        assertThat(bind).isNotNull();
        assertThat(bind.path("type").asText()).isEqualTo("bind");
        assertThat(bind.path("source").asText()).isEqualTo("/run/vm/channel");
        assertThat(bind.path("options")).extracting(JsonNode::asText).contains("rbind", "rw");
    }

    @Test
    void theRootIsTheSharedUserlandReadOnlyInNamespacesOfItsOwn() {
        JsonNode c = json(profile(1, 64L << 20, List.of()));
        assertThat(c.path("ociVersion").asText()).startsWith("1.0");
        assertThat(c.path("root").path("path").asText()).isEqualTo("/images/default/rootfs");
        assertThat(c.path("root").path("readonly").asBoolean()).isTrue();
        assertThat(c.path("hostname").asText()).isEqualTo("web1");
        assertThat(c.path("linux").path("namespaces")).extracting(n -> n.path("type").asText())
                .containsExactlyInAnyOrder("pid", "mount", "ipc", "uts", "network");
        assertThat(c.path("linux").path("cgroupsPath").asText()).isEqualTo("/hpcvirt/hpcvirt-web1-1");
        assertThat(c.path("process").path("noNewPrivileges").asBoolean()).isTrue();
        assertThat(c.path("process").path("capabilities").path("bounding")).extracting(JsonNode::asText)
                .doesNotContain("CAP_SYS_ADMIN", "CAP_SYS_MODULE", "CAP_SYS_BOOT");
    }

    @Test
    void crunStatusesMapOntoRunStates() {
        assertThat(ContainerInstance.runStateOf("running")).isEqualTo(RunState.RUNNING);
        assertThat(ContainerInstance.runStateOf("paused")).isEqualTo(RunState.PAUSED);
        assertThat(ContainerInstance.runStateOf("created")).isEqualTo(RunState.INCOMING);
        assertThat(ContainerInstance.runStateOf("stopped")).isEqualTo(RunState.EXITED);
        assertThat(ContainerInstance.runStateOf("frobnicated")).isEqualTo(RunState.UNKNOWN);
        assertThat(ContainerInstance.runStateOf(null)).isEqualTo(RunState.UNKNOWN);
    }

    @Test
    void theInitScriptRunsTheAgentAndSaysInitDone() {
        String init = ContainerBackend.initScript();
        assertThat(init).contains("/sbin/hpcvirt-agent").contains("hpcvirt: init done").contains("trap");
    }
}
