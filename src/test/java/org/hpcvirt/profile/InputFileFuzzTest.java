package org.hpcvirt.profile;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.statistics.Statistics;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.inject.campaign.CampaignSpec;

/**
 * Untrusted files: 10^4 profiles and 10^4 campaign files made by mutating the project's good
 * fixtures and examples (lines dropped, duplicated, re-indented or cut; values replaced by numbers
 * out of range, other types, YAML tags, anchors and aliases, control characters, huge strings).
 * Every one must load as a valid object or be refused with INVALID_INPUT naming the file, never
 * another exception (which the CLI would print as an internal error).
 */
class InputFileFuzzTest {
    private static final ProfileLoader LOADER = new ProfileLoader(new HostLimits(64, 1L << 40));
    private static final List<String> PROFILES = texts(Path.of(System.getProperty("hpcvirt.repo", "."))
            .resolve("src/test/resources/profiles/good"));
    private static final List<String> CAMPAIGNS = texts(Path.of(System.getProperty("hpcvirt.repo", ".")).resolve("examples/campaigns"));
    private static final String[] VALUES = {"0", "-1", "1", "99999999999999999999", "1.5", "1e309", "NaN", ".inf", "true", "null", "~",
        "\"\"", "''", "[]", "{}", "[1, [2, [3]]]", "{a: {b: c}}", "!!binary aGk=", "!!python/object:os.system", "&a x", "*a",
        "<<: *a", "\"\\u0000\"", "\"\\t\\n\"", "64M", "64Q", "200ms", "-5s", "9999999d", "all", "qemu", "kvm", "../../etc/passwd",
        "x".repeat(10_000), "|\n  multi\n  line", ">-\n  folded", "\"unterminated", "'", "?", "- item", "%TAG ! tag:x,2000:"};

    private static List<String> texts(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            List<String> out = new ArrayList<>();
            for (Path p : s.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                out.add(Files.readString(p));
            }
            assertThat(out).as("fixtures in " + dir).isNotEmpty();
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A random mutation (1 to 4 edits) of one of {@code seeds}. */
    static String mutate(List<String> seeds, long seed) {
        Random r = new Random(seed);
        List<String> lines = new ArrayList<>(List.of(seeds.get(r.nextInt(seeds.size())).split("\n", -1)));
        int edits = 1 + r.nextInt(4);
        for (int e = 0; e < edits && !lines.isEmpty(); e++) {
            int i = r.nextInt(lines.size());
            String line = lines.get(i);
            switch (r.nextInt(7)) {
                case 0 -> lines.remove(i);
                case 1 -> lines.add(i, line);
                case 2 -> lines.set(i, " ".repeat(r.nextInt(5)) + line.strip());
                case 3 -> {
                    int colon = line.indexOf(':');
                    String value = VALUES[r.nextInt(VALUES.length)];
                    lines.set(i, colon < 0 ? line + " " + value : line.substring(0, colon + 1) + " " + value);
                }
                case 4 -> lines.set(i, line.substring(0, r.nextInt(line.length() + 1)));
                case 5 -> lines.add(i, "bogus" + r.nextInt(3) + ": " + VALUES[r.nextInt(VALUES.length)]);
                default -> {
                    char[] c = line.toCharArray();
                    if (c.length > 0) {
                        c[r.nextInt(c.length)] = (char) r.nextInt(0x3000);
                    }
                    lines.set(i, new String(c));
                }
            }
        }
        return String.join("\n", lines);
    }

    @Property(tries = 10_000)
    void everyMutatedProfileIsValidOrAClearError(@ForAll long seed) {
        String yaml = mutate(PROFILES, seed);
        try {
            assertThat(LOADER.parse(yaml, "fuzz.yaml").name()).isNotBlank();
            Statistics.collect("valid");
        } catch (HpcvirtException e) {
            Statistics.collect("refused");
            assertThat(e.code()).as(e.getMessage()).isEqualTo(ErrorCode.INVALID_INPUT);
            assertThat(e.getMessage()).as("names the file").contains("fuzz.yaml");
        }
        Statistics.coverage(c -> c.check("refused").percentage(p -> p > 20));
    }

    private static Path campaignFile;

    @Property(tries = 10_000)
    void everyMutatedCampaignFileIsValidOrAClearError(@ForAll long seed) throws IOException {
        if (campaignFile == null) {
            campaignFile = Files.createTempFile("hv-fuzz", ".yaml");
        }
        Files.writeString(campaignFile, mutate(CAMPAIGNS, seed), StandardCharsets.UTF_8);
        try {
            assertThat(CampaignSpec.load(campaignFile).name()).isNotBlank();
            Statistics.collect("valid");
        } catch (HpcvirtException e) {
            Statistics.collect("refused");
            assertThat(e.code()).as(e.getMessage()).isEqualTo(ErrorCode.INVALID_INPUT);
            assertThat(e.getMessage()).as("names the file").contains(campaignFile.getFileName().toString());
        }
        Statistics.coverage(c -> c.check("refused").percentage(p -> p > 20));
    }

    @AfterContainer
    static void removeTemp() throws IOException {
        if (campaignFile != null) {
            Files.deleteIfExists(campaignFile);
        }
    }
}
