package org.hpcvirt.vse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** VSE files, policies, their merge and explanation: the fixtures under src/test/resources/vse. */
class VseMergeTest {
    private static final Path DIR = Path.of("src/test/resources/vse");
    private static final VseLoader.Loaded<VsePolicy> POLICY = VseLoader.policy(DIR.resolve("policy.yaml"));

    static Stream<Path> good() throws IOException {
        return Files.list(DIR.resolve("good")).sorted();
    }

    static Stream<Path> bad() throws IOException {
        return Files.list(DIR.resolve("bad")).sorted();
    }

    @ParameterizedTest
    @MethodSource("good")
    void goodFilesMergeWithoutAndWithThePolicy(Path file) {
        VseLoader.Loaded<VseFile> f = VseLoader.file(file);
        assertThat(VseMerge.merge(f, new VseLoader.Loaded<>(VsePolicy.NONE, VseSource.NONE), null, null).image().value()).isEqualTo("default");
        assertThat(VseMerge.merge(f, POLICY, "hvs", Set.of("default")).image().value()).isEqualTo("default");
    }

    @ParameterizedTest
    @MethodSource("bad")
    void badFilesAreOneLineErrorsNamingTheFile(Path file) {
        assertThatThrownBy(() -> VseMerge.merge(VseLoader.file(file), POLICY, null, null))
                .isInstanceOf(HpcvirtException.class)
                .satisfies(e -> {
                    assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.INVALID_INPUT);
                    assertThat(e.getMessage()).startsWith(file.toString()).doesNotContain("\n");
                });
    }

    @Test
    void errorsNameLineAndField() {
        assertThat(message("bad/unknown-field.yaml")).isEqualTo(DIR.resolve("bad/unknown-field.yaml")
                + ": line 4: field 'vm': unknown field 'gpus' (known: cpus, disk, memory)");
        assertThat(message("bad/zero-cpus.yaml")).isEqualTo(DIR.resolve("bad/zero-cpus.yaml")
                + ": line 3: field 'vm.cpus': 0 virtual CPUs: a VM needs at least 1");
        assertThat(message("bad/memory-no-unit.yaml")).contains("line 2: field 'vm.memory': '128' is not a size");
        assertThat(message("bad/cpus-fraction.yaml")).contains("line 2", "vm.cpus");
        assertThat(message("bad/bad-period.yaml")).contains("line 2: field 'ft.checkpointPeriod': 'soon' is not a duration");
        assertThat(message("bad/reserved-label.yaml")).contains("line 2: field 'labels.job': label 'job' is set by hpcvirt itself");
        assertThat(message("bad/too-many-vms.yaml")).contains("line 1: field 'vmsPerNode': 17 VMs per node: must be 1..16");
        assertThat(message("bad/bad-network.yaml")).contains("line 1: field 'network': unknown network 'infiniband' (use none or private)");
        assertThat(VseMerge.merge(VseLoader.file(DIR.resolve("good/private-network.yaml")), POLICY, null, null).network().value())
                .isEqualTo("private");
    }

    @Test
    void aValueOverALimitIsRefusedNamingTheRule() {
        assertThat(message("over-limit.yaml")).isEqualTo(DIR.resolve("over-limit.yaml")
                + ": line 3: field 'vm.cpus': 4 is above the maximum 2 set by admin (limits.cpusPerVm)");
        assertThat(message("other-image.yaml")).isEqualTo(DIR.resolve("other-image.yaml")
                + ": line 1: field 'image': image 'centos-7' is not allowed by admin rule images [default] in " + DIR.resolve("policy.yaml"));
        assertThat(message("two-vms.yaml")).isEqualTo(DIR.resolve("two-vms.yaml")
                + ": line 3: field 'vmsPerNode': 2 VMs × 2 virtual CPUs = 4 virtual CPUs per node is above the maximum 2 set by admin (limits.cpusPerNode)");
    }

    @Test
    void aPartitionRuleTightensTheLimitsAndMayClamp() {
        MergedVse m = VseMerge.merge(VseLoader.file(DIR.resolve("long-period.yaml")), POLICY, "long", null);
        assertThat(m.checkpointPeriod().value()).isEqualTo(Duration.ofHours(2));
        assertThat(m.checkpointPeriod().origin()).isEqualTo("admin (partitions.long.maxCheckpointPeriod), lowered from 4h (user (ft.checkpointPeriod))");
        // without the partition, 4h is within the limits
        MergedVse hvs = VseMerge.merge(VseLoader.file(DIR.resolve("long-period.yaml")), POLICY, "hvs", null);
        assertThat(hvs.checkpointPeriod().value()).isEqualTo(Duration.ofHours(4));
        assertThat(hvs.partition().origin()).isEqualTo("no rules for this partition");
        // a partition's tighter memory limit refuses (its block does not say clamp)
        assertThatThrownBy(() -> VseMerge.merge(VseLoader.file(DIR.resolve("good/full.yaml")).value() == null ? null
                : withMemory("512M"), POLICY, "small", null))
                .hasMessageContaining("field 'vm.memory': 512M is above the maximum 256M set by admin (partitions.small.memoryPerVm)");
    }

    @Test
    void eachFieldSaysWhoDecidedIt() {
        MergedVse m = VseMerge.merge(VseLoader.file(DIR.resolve("good/minimal.yaml")), POLICY, "long", Set.of("default"));
        List<String[]> rows = VseMerge.explain(m);
        assertThat(rows).extracting(r -> r[0] + "=" + r[1] + " by " + r[2]).contains(
                "image=default by user (image)",
                "vm.cpus=1 by built-in default",
                "vm.memory=128M by admin (defaults.memory)",
                "ft.checkpointPeriod=60m by admin (defaults.checkpointPeriod)",
                "host.reserveMemory=256M by admin (host.reserveMemory)",
                "partition=long by admin (partitions.long)");
    }

    @Test
    void anImageMissingFromTheCatalogueIsRefused() {
        assertThatThrownBy(() -> VseMerge.merge(VseLoader.file(DIR.resolve("good/minimal.yaml")),
                new VseLoader.Loaded<>(VsePolicy.NONE, VseSource.NONE), null, Set.of("debian")))
                .hasMessageContaining("field 'image': image 'default' is not in the nodes' catalogue (images: debian)");
    }

    @Test
    void aPolicyWithAnUnknownFieldIsRefusedNamingItsLine() {
        assertThatThrownBy(() -> VseLoader.policy(DIR.resolve("policy-unknown-field.yaml")))
                .hasMessage(DIR.resolve("policy-unknown-field.yaml") + ": line 3: field 'limits': unknown field 'gpusPerVm' (known: "
                        + "cpusPerNode, cpusPerVm, diskPerVm, maxCheckpointPeriod, maxSpares, memoryPerNode, memoryPerVm, "
                        + "minCheckpointPeriod, onTimeLimit, onViolation, timeLimitMargin, vmsPerNode)");
    }

    @Test
    void theDeploymentIsTheAdministratorsChoice() throws IOException {
        Path dir = Files.createTempDirectory("vsepolicy");
        try {
            Path snap = Files.writeString(dir.resolve("snap.yaml"), "deployment: snapshot\n");
            MergedVse m = VseMerge.merge(VseLoader.file(DIR.resolve("good/minimal.yaml")), VseLoader.policy(snap), null, null);
            assertThat(m.deployment()).isEqualTo(new org.hpcvirt.ft.MergedPolicy.Sourced<>("snapshot", "admin (deployment)"));
            assertThat(VseMerge.merge(VseLoader.file(DIR.resolve("good/minimal.yaml")), POLICY, null, null).deployment().value())
                    .isEqualTo("boot");
            Path bad = Files.writeString(dir.resolve("bad.yaml"), "images: [default]\ndeployment: sideways\n");
            assertThatThrownBy(() -> VseMerge.merge(VseLoader.file(DIR.resolve("good/minimal.yaml")), VseLoader.policy(bad), null, null))
                    .hasMessage(bad + ": line 2: field 'deployment': unknown value 'sideways' (use boot or snapshot)");
        } finally {
            org.hpcvirt.api.DirectoryTree.delete(dir);
        }
    }

    private static VseLoader.Loaded<VseFile> withMemory(String memory) {
        String text = "vm:\n  memory: " + memory + "\n";
        return new VseLoader.Loaded<>(new VseFile(null, new VseFile.Shape(null, memory, null), null, null, null, null),
                new VseSource(Path.of("mem.yaml"), text));
    }

    private static String message(String file) {
        try {
            VseMerge.merge(VseLoader.file(DIR.resolve(file)), POLICY, null, null);
        } catch (HpcvirtException e) {
            return e.getMessage();
        }
        throw new AssertionError(file + " was accepted");
    }
}
