package org.hpcvirt.inject.campaign;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.enclave.IsolationLevel;
import org.hpcvirt.inject.Fault;
import org.hpcvirt.inject.FaultOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CampaignSpecTest {
    @TempDir
    Path dir;

    private CampaignSpec load(String yaml) throws Exception {
        Path f = dir.resolve("c.yaml");
        Files.writeString(f, yaml);
        return CampaignSpec.load(f);
    }

    private void assertInvalid(String yaml, String message) {
        assertThatThrownBy(() -> load(yaml))
                .isInstanceOfSatisfying(HpcvirtException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_INPUT))
                .hasMessageContaining(message);
    }

    @Test
    void shippedExampleIsValid() {
        CampaignSpec s = CampaignSpec.load(Path.of(System.getProperty("hpcvirt.repo", "."), "examples/campaigns/ezone3-kerncrash.yaml"));
        assertThat(s.backends()).containsExactly("all");
        assertThat(s.faults()).singleElement().satisfies(f -> {
            assertThat(f.fault()).isEqualTo(Fault.KERNCRASH);
            assertThat(f.integer("delay", 5, 0, 10)).isEqualTo(1);
        });
        assertThat(s.runs()).isEqualTo(5);
        assertThat(s.bystanders()).isEqualTo(1);
        assertThat(s.isolation()).containsExactly(IsolationLevel.STRICT);
    }

    @Test
    void allFaultsExampleNamesEveryFault() {
        CampaignSpec s = CampaignSpec.load(Path.of(System.getProperty("hpcvirt.repo", "."), "examples/campaigns/all-faults.yaml"));
        assertThat(s.faults()).extracting(FaultOptions::fault).containsExactlyInAnyOrder(Fault.values());
        assertThat(s.isolation()).containsExactly(IsolationLevel.STRICT, IsolationLevel.PERFORMANCE);
        assertThat(s.reset()).isEqualTo(CampaignSpec.Reset.SNAPSHOT);
    }

    @Test
    void defaultsFillOptionalFields() throws Exception {
        CampaignSpec s = load("faults:\n  - fault: segfault\n");
        assertThat(s.runs()).isEqualTo(5);
        assertThat(s.memoryBytes()).isEqualTo(128L << 20);
        assertThat(s.parallelism()).isEqualTo(1);
        assertThat(s.heartbeatTimeout().toMillis()).isEqualTo(2000);
    }

    @Test
    void errorsNameFieldAndLine() {
        assertInvalid("faults:\n  - fault: segfault\nruns: 0\n", "line 3: field 'runs': must be 1..1000, not 0");
        assertInvalid("faults:\n  - fault: segfault\nrunz: 3\n", "unknown field 'runz'");
        assertInvalid("faults:\n  - fault: nope\n", "line 2: field 'fault': unknown fault 'nope'");
        assertInvalid("faults:\n  - fault: kerncrash\n    options: {bits: 1}\n", "line 3: field 'options': fault kerncrash has no option 'bits'");
        assertInvalid("isolation: [loose]\nfaults:\n  - fault: segfault\n", "line 1: field 'isolation': unknown isolation level 'loose'");
        assertInvalid("faults:\n  - fault: segfault\nparallelism: 999\n", "line 3: field 'parallelism': must be 1..");
        assertInvalid("faults:\n  - fault: kerncrash\n    options: {delay: soon}\n",
                "line 3: field 'options': fault kerncrash option 'delay': 'soon' is not an integer");
        assertInvalid("faults:\n  - fault: bitflip-register\n    options: {register: xmm0}\n", "unknown register 'xmm0'");
        assertInvalid("faults:\n  - fault: segfault\nreset: sometimes\n", "line 3: field 'reset': must be snapshot or reboot");
        assertInvalid("faults: []\n", "field 'faults': at least one fault is required");
        assertInvalid("faults:\n  - fault: segfault\nvm:\n  memory: lots\n", "line 4: field 'memory'");
        assertInvalid("faults:\n  - fault: segfault\nvm:\n  heartbeatInterval: 1s\n  heartbeatTimeout: 1s\n",
                "line 5: field 'heartbeatTimeout': must be longer than twice");
    }
}
