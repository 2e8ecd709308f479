package org.hpcvirt.profile;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;
import org.hpcvirt.api.DataSize;
import org.hpcvirt.api.Durations;

/** Printing then parsing gives back the same value: sizes, durations, whole profiles. */
class ProfilePropertiesTest {
    private static final long MIB = 1024L * 1024;
    private static final HostLimits HOST = new HostLimits(64, 1024L * 1024 * MIB);
    private final ProfileLoader loader = new ProfileLoader(HOST);

    @Property
    void sizesPrintedThenParsedAreUnchanged(@ForAll @LongRange(min = 0, max = 1L << 50) long bytes) {
        assertThat(DataSize.parse(DataSize.format(bytes), "size")).isEqualTo(bytes);
    }

    @Property
    void wholeMillisecondDurationsRoundTrip(@ForAll @LongRange(min = 0, max = 10L * 365 * 86_400_000) long millis) {
        Duration d = Duration.ofMillis(millis);
        assertThat(Durations.parse(ProfileWriter.duration(d), "d")).isEqualTo(d);
    }

    @Property
    void subMillisecondDurationsRoundTrip(@ForAll @LongRange(min = 0, max = 10L * 86_400_000_000_000L) long nanos) {
        Duration d = Duration.ofNanos(nanos);
        assertThat(Durations.parse(ProfileWriter.duration(d), "d")).isEqualTo(d);
    }

    @Property
    void textScalarsReadBackAsTheSameText(@ForAll("text") String text) {
        String yaml = "name: a\nbackend: q\ncpus: 1\nmemory: 32M\nft:\n  policy: none\n  x: " + ProfileWriter.scalar(text) + "\n";
        assertThat(loader.parse(yaml, "t").ft().extra()).containsEntry("x", text);
    }

    @Property(tries = 500)
    void toYamlThenParseGivesTheSameProfile(@ForAll("profiles") VmProfile profile) {
        String yaml = ProfileLoader.toYaml(profile);
        assertThat(loader.parse(yaml, "generated")).as(yaml).isEqualTo(profile);
    }

    @Provide
    Arbitrary<VmProfile> profiles() {
        Arbitrary<String> name = identifier("abcdefghijklmnopqrstuvwxyz", "abcdefghijklmnopqrstuvwxyz0123456789-", 39);
        Arbitrary<String> backend = identifier("abcdefghijklmnopqrstuvwxyz", "abcdefghijklmnopqrstuvwxyz0123456789_-", 31);
        Arbitrary<String> image = identifier("abcXYZ0123456789", "abcXYZ0123456789._-", 63)
                .injectDuplicates(0.1).edgeCases(c -> c.add("default"));
        Arbitrary<Long> memory = Arbitraries.longs().between(32 * MIB, HOST.memoryBytes());
        Arbitrary<VmProfile.Disk> disk = Arbitraries.longs().between(16 * MIB, 1024L * 1024 * MIB)
                .map(VmProfile.Disk::new).injectNull(0.3);
        Arbitrary<List<Integer>> pinning = Arbitraries.integers().between(0, HOST.cores() - 1).list().uniqueElements().ofMaxSize(8);
        Arbitrary<Duration> interval = Arbitraries.longs().between(50, 3_600_000).map(Duration::ofMillis);
        Arbitrary<Long> timeoutExtraMillis = Arbitraries.longs().between(1, 60_000);
        Arbitrary<Hardware> hardware = Combinators.combine(name, backend, Arbitraries.integers().between(1, HOST.cores()),
                memory, disk, Arbitraries.of(VmProfile.Network.class), image, pinning).as(Hardware::new);
        Arbitrary<String> privateNetwork = identifier("abcdefghijklmnopqrstuvwxyz", "abcdefghijklmnopqrstuvwxyz0123456789", 10);
        return Combinators.combine(hardware, interval, timeoutExtraMillis, kernelArgs(), ft(), privateNetwork)
                .as((h, iv, extra, args, ft, net) -> new VmProfile(h.name, h.backend, h.cpus, h.memory, h.disk, h.network, h.image,
                        iv, iv.multipliedBy(2).plusMillis(extra), h.pinning, args, ft, null,
                        h.network == VmProfile.Network.PRIVATE ? net : null));
    }

    private record Hardware(String name, String backend, int cpus, long memory, VmProfile.Disk disk,
                            VmProfile.Network network, String image, List<Integer> pinning) {
    }

    private static Arbitrary<String> identifier(String first, String rest, int maxRest) {
        Arbitrary<String> generated = Combinators.combine(
                Arbitraries.strings().withChars(first.toCharArray()).ofLength(1),
                Arbitraries.strings().withChars(rest.toCharArray()).ofMaxLength(maxRest)).as(String::concat);
        // words YAML would read as booleans, nulls or numbers unless quoted
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(5, generated),
                net.jqwik.api.Tuple.of(1, Arbitraries.of("yes", "no", "on", "off", "y", "n", "null", "true", "false", "nan")));
    }

    private static Arbitrary<String> kernelArgs() {
        Arbitrary<String> word = Arbitraries.strings().withChars("abcxyz019=._,:/#'-@!%&*[]{}|>?".toCharArray()).ofMinLength(1).ofMaxLength(12);
        Arbitrary<String> quoted = word.map(w -> "v=\"" + w + " " + w + "\"");
        return Arbitraries.oneOf(word, quoted).list().ofMaxSize(6).map(l -> String.join(" ", l))
                .filter(s -> ProfileLoader.kernelTokens(s).stream().noneMatch(ProfilePropertiesTest::reservedKernelToken));
    }

    private static boolean reservedKernelToken(String t) {
        String key = t.replace("\"", "");
        return t.equals("--") || key.startsWith("hpcvirt") || key.startsWith("console=") || key.startsWith("init=")
                || key.startsWith("rdinit=");
    }

    private static Arbitrary<VmProfile.FtSettings> ft() {
        Arbitrary<String> period = Arbitraries.oneOf(Arbitraries.of("young", "daly", "optimal"),
                Arbitraries.longs().between(1, 1_000_000_000L).map(ms -> ProfileWriter.duration(Duration.ofMillis(ms))));
        Arbitrary<String> key = identifier("abcXYZ", "abcXYZ09_.-", 20).filter(k -> !ProfileLoader.FT_FIELDS.contains(k));
        Arbitrary<Map<String, String>> extra = Arbitraries.maps(key, new ProfilePropertiesTest().text()).ofMaxSize(4);
        return Combinators.combine(Arbitraries.of(ProfileLoader.FT_POLICIES), period.injectNull(0.3),
                new ProfilePropertiesTest().text().filter(s -> !s.isBlank()).injectNull(0.3), extra)
                .as(VmProfile.FtSettings::new).injectNull(0.3);
    }

    @Provide
    Arbitrary<String> text() {
        Arbitrary<String> printable = Arbitraries.strings().withCharRange(' ', '~').withChars("é λ→\u00a0☃\u2603".toCharArray())
                .ofMaxLength(20);
        return Arbitraries.oneOf(printable, Arbitraries.of("", " ", "yes", "~", "null", "0x10", "1e3", "1_000", ".inf",
                "- x", "a: b", "#c", "&a", "*a", "!t", "'q'", "\"q\"", "%x", "@x", "`x", "[1]", "{a: 1}", "---", "...", "|", ">"));
    }
}
