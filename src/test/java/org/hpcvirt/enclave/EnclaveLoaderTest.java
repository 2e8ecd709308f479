package org.hpcvirt.enclave;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.hpcvirt.profile.HostLimits;
import org.hpcvirt.profile.ProfileException;
import org.hpcvirt.profile.ProfileLoader;
import org.hpcvirt.profile.VmProfile;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class EnclaveLoaderTest {
    private static final Path DIR = Path.of("src/test/resources/enclaves");
    private final EnclaveLoader loader = new EnclaveLoader(new ProfileLoader(new HostLimits(2, 8L << 30)), List.of(0, 1));

    @Test
    void listedCoresBecomeTheVmsCpusAndTheEnclaveFieldsItsProfile() {
        EnclaveSpec s = loader.load(DIR.resolve("good/solver.yaml"));
        assertThat(s.name()).isEqualTo("solver");
        assertThat(s.cores()).containsExactly(1);
        assertThat(s.coreCount()).isEqualTo(1);
        assertThat(s.memoryBytes()).isEqualTo(128L << 20);
        assertThat(s.hugePages()).isEqualTo(HugePages.NO);
        assertThat(s.isolation()).isEqualTo(IsolationLevel.STRICT);
        VmProfile p = s.profile();
        assertThat(p.name()).isEqualTo("solver");
        assertThat(p.cpus()).isEqualTo(1);
        assertThat(p.memoryBytes()).isEqualTo(128L << 20);
        assertThat(p.backend()).isEqualTo("qemu");
        assertThat(p.kernelArgs()).isEqualTo("quiet");
        assertThat(p.heartbeatInterval().toMillis()).isEqualTo(500);
        assertThat(p.partition()).isNull();
    }

    @Test
    void aCountLeavesTheCoresToAdmissionAndTheLevelDecidesHugePages() {
        EnclaveSpec s = loader.load(DIR.resolve("good/count.yaml"));
        assertThat(s.cores()).isEmpty();
        assertThat(s.coreCount()).isEqualTo(1);
        assertThat(s.isolation()).isEqualTo(IsolationLevel.BALANCED);
        assertThat(s.hugePages()).isEqualTo(HugePages.YES);
        assertThat(s.profile().backend()).isEqualTo("qemu");
        assertThat(s.profile().image()).isEqualTo("default");
    }

    @Test
    void linksOfAPerformanceEnclave() {
        EnclaveSpec s = loader.load(DIR.resolve("good/producer.yaml"));
        assertThat(s.links()).containsExactly(new EnclaveSpec.Link("ring", "consumer", 1L << 20, LinkPolicy.FREEZE));
    }

    @Test
    void theExamplesAreValid() {
        for (String f : List.of("solver", "intruder", "producer", "consumer")) {
            assertThat(loader.load(Path.of("examples/enclaves", f + ".yaml")).name()).isEqualTo(f);
        }
        assertThat(loader.loadNode(Path.of("examples/enclaves/node.yaml")).cores()).isEmpty();
    }

    @Test
    void nodeSettings() {
        NodeReserve r = loader.loadNode(DIR.resolve("good/node.yaml"));
        assertThat(r.cores()).containsExactly(0);
        assertThat(r.memoryBytes()).isEqualTo(1L << 30);
        assertThat(loader.loadNode(DIR.resolve("absent.yaml"))).isEqualTo(NodeReserve.DEFAULT);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "unknown-field.yaml    | unknown-field.yaml:4: numa: unknown field",
        "hugepages-maybe.yaml  | hugepages-maybe.yaml:4: hugepages: 'maybe' is not one of yes, no, required",
        "vm-cpus.yaml          | vm-cpus.yaml:6: vm.cpus: set by the enclave",
        "vm-unknown.yaml       | vm-unknown.yaml:8: vm.heartbeat: unknown field",
        "core-absent.yaml      | core-absent.yaml:2: cores[1]: core 7 is not an online core of this host (0-1)",
        "isolation.yaml        | isolation.yaml:4: unknown isolation level 'paranoid'",
        "backend.yaml          | backend.yaml:5: vm.backend: 'container' cannot run an enclave",
        "memory-no-unit.yaml   | memory-no-unit.yaml:3: memory: expected a size with a unit",
        "node-unknown.yaml     | node-unknown.yaml:2: reserveMemory: unknown field",
        "link-strict.yaml      | link-strict.yaml:5: links: isolation level strict forbids shared memory with other enclaves",
        "link-size.yaml        | link-size.yaml:8: links[0].size: 1000K is not a power of two from 4K to 1G",
        "link-unknown.yaml     | link-unknown.yaml:9: links[0].doorbell: unknown field",
    })
    void brokenFilesNameFileLineAndField(String file, String expected) {
        Path f = DIR.resolve("bad").resolve(file);
        assertThatThrownBy(() -> {
            if (file.startsWith("node-")) {
                loader.loadNode(f);
            } else {
                loader.load(f);
            }
        }).isInstanceOf(ProfileException.class)
                .satisfies(e -> {
                    assertThat(e.getMessage()).doesNotContain("\n");
                    assertThat(e.getMessage()).startsWith(f.toString().replace(file, "")).contains(expected);
                });
    }

    @Test
    void notAMappingAndEmptyAndDuplicates() {
        assertThatThrownBy(() -> loader.parse("- a\n", "x.yaml")).hasMessage("x.yaml:1: an enclave is a mapping of fields (name: ..., cores: ...), not a list");
        assertThatThrownBy(() -> loader.parse("", "x.yaml")).hasMessageContaining("x.yaml:1: the document is empty");
        assertThatThrownBy(() -> loader.parse("name: a\nname: b\ncores: 1\nmemory: 64M\n", "x.yaml"))
                .hasMessageContaining("x.yaml:2: name: duplicate key");
        assertThatThrownBy(() -> loader.parse("name: a\ncores: 3\nmemory: 64M\n", "x.yaml"))
                .hasMessage("x.yaml:2: cores: 3 is not possible on this host, which has 2 core(s)");
        assertThatThrownBy(() -> loader.parse("name: a\ncores: 1\nmemory: 64G\n", "x.yaml"))
                .hasMessageContaining("x.yaml:3: memory: 64G is more than this host's memory");
    }
}
