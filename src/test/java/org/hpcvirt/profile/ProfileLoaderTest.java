package org.hpcvirt.profile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.hpcvirt.api.ErrorCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Field rules, defaults, boundaries and the exact form of messages. */
class ProfileLoaderTest {
    private static final long MIB = 1024L * 1024;
    private static final String BASE = "name: compute-1\nbackend: qemu\ncpus: 1\nmemory: 128M\n";
    private final ProfileLoader loader = new ProfileLoader(ProfileFixturesTest.HOST);

    @Test
    void defaultsForOptionalFields() {
        VmProfile p = loader.parse(BASE, "compute.yaml");
        assertThat(p).isEqualTo(new VmProfile("compute-1", "qemu", 1, 128 * MIB, null, VmProfile.Network.NONE, "default",
                Duration.ofMillis(500), Duration.ofSeconds(5), List.of(), "", null));
    }

    @Test
    void everyFieldIsRead() throws Exception {
        VmProfile p = loader.load(Path.of(getClass().getResource("/profiles/good/full.yaml").toURI()));
        assertThat(p).isEqualTo(new VmProfile("compute-1", "kvm", 2, 1024 * MIB, new VmProfile.Disk(2048 * MIB),
                VmProfile.Network.USER, "debian-12.1", Duration.ofMillis(250), Duration.ofSeconds(2), List.of(0, 1),
                "quiet loglevel=3",
                new VmProfile.FtSettings("hybrid", "10m", "long", Map.of("maxCheckpoints", "3", "predictor", "lead-time"))));
    }

    @Test
    void messageNamesFileLineAndField() {
        ProfileException e = problem(BASE.replace("128M", "12X"));
        assertThat(e.getMessage()).isEqualTo("compute.yaml:4: memory: '12X' is not a size (use e.g. 128M, 128MiB, 1G, 2GB)");
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_INPUT);
        assertThat(e.problems()).containsExactly(new ProfileException.Problem("compute.yaml", 4, "memory",
                "memory: '12X' is not a size (use e.g. 128M, 128MiB, 1G, 2GB)"));
    }

    @Test
    void allProblemsAreReportedInLineOrder() {
        ProfileException e = problem("nics: 1\nname: X\nbackend: qemu\ncpus: 0\nmemory: 1K\nheartbeat: {timout: 1s}\n");
        assertThat(e.problems()).extracting(ProfileException.Problem::line).containsExactly(1, 2, 4, 5, 6);
        assertThat(e.problems()).extracting(ProfileException.Problem::path)
                .containsExactly("nics", "name", "cpus", "memory", "heartbeat.timout");
        assertThat(e.getMessage().lines()).hasSize(5).allMatch(l -> l.startsWith("compute.yaml:"));
    }

    @Test
    void boundariesAreInclusiveWhereTheRulesSaySo() {
        String yaml = "name: a\nbackend: q\ncpus: 4\nmemory: 8G\ndisk: {size: 16M}\n"
                + "heartbeat: {interval: 50ms, timeout: 101ms}\npinning: [3]\n";
        assertThatCode(() -> loader.parse(yaml, "edge")).doesNotThrowAnyException();
        assertThatCode(() -> loader.parse(BASE + "disk: {size: 1T}\n", "edge")).doesNotThrowAnyException();
        assertThat(problem(BASE.replace("128M", "32767K")).problems()).extracting(ProfileException.Problem::path)
                .containsExactly("memory");
        assertThat(problem(BASE + "heartbeat: {interval: 50ms, timeout: 100ms}\n").problems())
                .extracting(ProfileException.Problem::path).containsExactly("heartbeat.timeout");
        assertThat(problem(BASE + "heartbeat: {interval: 49ms}\n").problems())
                .extracting(ProfileException.Problem::path).containsExactly("heartbeat.interval");
        assertThat(problem(BASE + "heartbeat: {timeout: 1s}\n").problems())
                .extracting(ProfileException.Problem::path).containsExactly("heartbeat.timeout");
        assertThat(problem(BASE + "pinning: [4]\n").problems()).extracting(ProfileException.Problem::path)
                .containsExactly("pinning[0]");
    }

    @ParameterizedTest
    @ValueSource(strings = {"console=ttyS0", "init=/bin/sh", "rdinit=/x", "hpcvirt.agent=off", "\\\"init=/bin/sh\\\"",
        "quiet hpcvirt.x", "a=\\\"b c\\\" console=tty0", "--"})
    void reservedKernelArgsAreRejected(String args) {
        assertThat(problem(BASE + "kernelArgs: \"" + args + "\"\n").problems())
                .extracting(ProfileException.Problem::path).containsExactly("kernelArgs");
    }

    @ParameterizedTest
    @ValueSource(strings = {"quiet", "loglevel=3 mitigations=off", "myconsole=1", "init", "foo=\\\"console=ttyS0 x\\\"x"})
    void ordinaryKernelArgsAreAccepted(String args) {
        // the last one: the quotes keep console= inside foo's value, as the kernel reads it
        String yaml = BASE + "kernelArgs: \"" + args + "\"\n";
        assertThat(loader.parse(yaml, "k").kernelArgs()).isEqualTo(args.replace("\\\"", "\""));
    }

    @Test
    void kernelTokensSplitLikeTheKernel() {
        assertThat(ProfileLoader.kernelTokens("  a  b=\"c d\" e ")).containsExactly("a", "b=\"c d\"", "e");
    }

    @Test
    void foldedBlockWithFinalNewlineGetsAHint() {
        ProfileException e = problem(BASE + "kernelArgs: >\n  quiet\n");
        assertThat(e.getMessage()).contains("use '>-' or '|-'");
    }

    @Test
    void quotedNumberIsNotACount() {
        assertThat(problem(BASE.replace("cpus: 1", "cpus: \"1\"")).getMessage())
                .isEqualTo("compute.yaml:3: cpus: expected a whole number, got text ('1')");
    }

    @Test
    void toYamlIsCanonicalAndQuotesOnlyWhereNeeded() {
        VmProfile p = new VmProfile("yes", "kvm", 2, 1536 * MIB, new VmProfile.Disk(1000), VmProfile.Network.USER, "123",
                Duration.ofMillis(1500), Duration.ofSeconds(90), List.of(1, 0), "a=\"b c\" #d",
                new VmProfile.FtSettings("reactive", "young", "null", Map.of("on", "", "z", "x: y")));
        assertThat(ProfileLoader.toYaml(p)).isEqualTo("""
                name: "yes"
                backend: kvm
                cpus: 2
                memory: 1536M
                disk:
                  size: 1000B
                network: user
                image: "123"
                heartbeat:
                  interval: 1500ms
                  timeout: 90s
                pinning: [1, 0]
                kernelArgs: "a=\\"b c\\" #d"
                ft:
                  policy: reactive
                  period: young
                  jobClass: "null"
                  "on": ""
                  z: "x: y"
                """);
    }

    @Test
    void toYamlOfALoadedProfileLoadsBackEqual() {
        VmProfile p = loader.parse(BASE + "kernelArgs: 'x=\"1 2\"'\nft: {policy: none, retries: 3, flag: yes}\n", "c");
        assertThat(p.ft().extra()).containsEntry("retries", "3").containsEntry("flag", "yes");
        assertThat(loader.parse(ProfileLoader.toYaml(p), "c")).isEqualTo(p);
    }

    @Test
    void tooLargeFileIsRejectedBeforeParsing(@TempDir Path dir) throws IOException {
        Path big = Files.writeString(dir.resolve("big.yaml"), BASE + "#" + "x".repeat(70_000) + "\n");
        ProfileException e = catchThrowableOfType(ProfileException.class, () -> loader.load(big));
        assertThat(e).isNotNull();
        assertThat(e.getMessage()).startsWith(big + ":1: the file is larger than 64 KiB");
    }

    @Test
    void nonUtf8FileIsAProfileError(@TempDir Path dir) throws IOException {
        Path latin1 = Files.write(dir.resolve("l.yaml"), (BASE + "image: caf\u00e9\n").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        ProfileException e = catchThrowableOfType(ProfileException.class, () -> loader.load(latin1));
        assertThat(e).isNotNull();
        assertThat(e.getMessage()).contains("not UTF-8");
    }

    @Test
    void loaderIsForTheGivenHost() {
        ProfileLoader tiny = new ProfileLoader(new HostLimits(1, 64 * MIB));
        assertThat(problem(tiny, BASE.replace("cpus: 1", "cpus: 2")).getMessage())
                .isEqualTo("compute.yaml:3: cpus: 2 is more than this host has (1)\n"
                        + "compute.yaml:4: memory: 128M is more than this host's memory (64M)");
    }

    @Test
    void closestSuggestsPlausibleTyposOnly() {
        assertThat(ProfileLoader.closest("memroy", ProfileLoader.TOP_FIELDS)).isEqualTo("memory");
        assertThat(ProfileLoader.closest("CPUs", ProfileLoader.TOP_FIELDS)).isEqualTo("cpus");
        assertThat(ProfileLoader.closest("zzz", ProfileLoader.TOP_FIELDS)).isNull();
    }

    private ProfileException problem(String yaml) {
        return problem(loader, yaml);
    }

    private static ProfileException problem(ProfileLoader l, String yaml) {
        ProfileException e = catchThrowableOfType(ProfileException.class, () -> l.parse(yaml, "compute.yaml"));
        assertThat(e).as("expected a ProfileException for:\n" + yaml).isNotNull();
        return e;
    }
}
