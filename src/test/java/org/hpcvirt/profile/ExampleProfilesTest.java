package org.hpcvirt.profile;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The profiles under examples/ (referenced from the docs) load and say what the docs claim. */
class ExampleProfilesTest {
    private static final long MIB = 1024L * 1024;
    private final ProfileLoader loader = new ProfileLoader(ProfileFixturesTest.HOST);
    private final Path examples = Path.of("examples");

    @Test
    void computeSmall() {
        VmProfile p = loader.load(examples.resolve("compute-small.yaml"));
        assertThat(p.name()).isEqualTo("compute-small");
        assertThat(p.backend()).isEqualTo("qemu");
        assertThat(p.cpus()).isEqualTo(1);
        assertThat(p.memoryBytes()).isEqualTo(128 * MIB);
        assertThat(p.disk()).isEqualTo(new VmProfile.Disk(256 * MIB));
        assertThat(p.network()).isEqualTo(VmProfile.Network.NONE);
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"compute-kvm, kvm", "compute-libvirt, libvirt"})
    void anotherBackendsExampleDiffersFromComputeSmallOnlyInNameAndBackend(String name, String backend) throws IOException {
        VmProfile small = loader.load(examples.resolve("compute-small.yaml"));
        VmProfile other = loader.load(examples.resolve(name + ".yaml"));
        assertThat(other.name()).isEqualTo(name);
        assertThat(other.backend()).isEqualTo(backend);
        assertThat(other.withName(small.name()).withBackend(small.backend())).isEqualTo(small);

        List<String> a = Files.readAllLines(examples.resolve("compute-small.yaml"));
        List<String> b = Files.readAllLines(examples.resolve(name + ".yaml"));
        assertThat(b).hasSameSizeAs(a);
        List<String> changed = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            if (!a.get(i).equals(b.get(i))) {
                changed.add(b.get(i).substring(0, b.get(i).indexOf(':')));
            }
        }
        assertThat(changed).containsExactly("name", "backend");
    }

    @Test
    void switchingSolutionIsEditingTheBackendLineOnly() throws IOException {
        String text = Files.readString(examples.resolve("compute-small.yaml"));
        VmProfile kvm = loader.parse(text.replace("backend: qemu", "backend: kvm"), "edited");
        assertThat(kvm).isEqualTo(loader.load(examples.resolve("compute-small.yaml")).withBackend("kvm"));
    }

    @Test
    void serviceNet() {
        VmProfile p = loader.load(examples.resolve("service-net.yaml"));
        assertThat(p.name()).isEqualTo("service-net");
        assertThat(p.network()).isEqualTo(VmProfile.Network.USER);
        assertThat(p.memoryBytes()).isEqualTo(96 * MIB);
        assertThat(p.disk()).isNull();
        assertThat(p.heartbeatInterval()).isEqualTo(Duration.ofMillis(300));
        assertThat(p.heartbeatTimeout()).isEqualTo(Duration.ofSeconds(3));
    }

    @Test
    void everyExampleLoadsOnASmallHost() throws IOException {
        ProfileLoader small = new ProfileLoader(new HostLimits(1, 512 * MIB));
        try (var files = Files.list(examples)) {
            List<Path> yaml = files.filter(f -> f.toString().endsWith(".yaml")).toList();
            assertThat(yaml).hasSizeGreaterThanOrEqualTo(3);
            yaml.forEach(small::load);
        }
    }
}
