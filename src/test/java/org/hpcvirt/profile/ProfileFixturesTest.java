package org.hpcvirt.profile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.hpcvirt.api.ErrorCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Loads every fixture under {@code profiles/good} (must load and round-trip) and
 * {@code profiles/bad} (must fail with exactly the problems listed in its leading
 * {@code # expect: LINE: PATH: text} comments; PATH {@code -} means the document as a whole).
 */
class ProfileFixturesTest {
    static final HostLimits HOST = new HostLimits(4, 8L * 1024 * 1024 * 1024);
    private static final Pattern EXPECT = Pattern.compile("# expect: ([0-9]+): (\\S+): (.+)");
    private final ProfileLoader loader = new ProfileLoader(HOST);

    record Expectation(int line, String path, String text) {
    }

    static Stream<Path> good() throws IOException, URISyntaxException {
        return fixtures("good");
    }

    static Stream<Path> bad() throws IOException, URISyntaxException {
        return fixtures("bad");
    }

    private static Stream<Path> fixtures(String dir) throws IOException, URISyntaxException {
        Path root = Path.of(ProfileFixturesTest.class.getResource("/profiles/" + dir).toURI());
        try (Stream<Path> files = Files.list(root)) {
            List<Path> yaml = files.filter(p -> p.toString().endsWith(".yaml")).sorted().collect(Collectors.toList());
            assertThat(yaml).as("fixtures in " + dir).isNotEmpty();
            return yaml.stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("good")
    void goodFixtureLoadsAndRoundTrips(Path file) {
        VmProfile profile = loader.load(file);
        assertThat(loader.parse(ProfileLoader.toYaml(profile), "canonical")).isEqualTo(profile);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("bad")
    void badFixtureFailsWithExpectedProblems(Path file) throws IOException {
        List<Expectation> expected = expectations(file);
        assertThat(expected).as("a bad fixture must say what it expects in '# expect:' lines").isNotEmpty();

        ProfileException e = catchThrowableOfType(ProfileException.class, () -> loader.load(file));

        assertThat(e).as("loading " + file.getFileName() + " must fail").isNotNull();
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_INPUT);
        assertThat(e.problems()).extracting(p -> p.line() + ": " + (p.path().isEmpty() ? "-" : p.path()))
                .containsExactlyInAnyOrderElementsOf(expected.stream().map(x -> x.line() + ": " + x.path()).toList());
        for (Expectation x : expected) {
            String where = file + ":" + x.line() + ": ";
            assertThat(e.getMessage().lines())
                    .anySatisfy(line -> assertThat(line).startsWith(where).contains(x.text()));
        }
        assertThat(e.getMessage().lines()).hasSize(expected.size());
    }

    @Test
    void goodAndBadFixturesDoNotOverlap() throws Exception {
        for (Path g : good().toList()) {
            assertThat(expectations(g)).as(g + " has no expectations").isEmpty();
        }
    }

    @Test
    void missingFileIsNotFoundNotAProfileError() {
        assertThatThrownBy(() -> loader.load(Path.of("no/such/profile.yaml")))
                .isNotInstanceOf(ProfileException.class)
                .hasMessageContaining("no/such/profile.yaml")
                .satisfies(t -> assertThat(((org.hpcvirt.api.HpcvirtException) t).code()).isEqualTo(ErrorCode.NOT_FOUND));
    }

    static List<Expectation> expectations(Path file) throws IOException {
        return Files.readAllLines(file).stream()
                .takeWhile(l -> l.startsWith("#"))
                .map(EXPECT::matcher)
                .filter(Matcher::matches)
                .map(m -> new Expectation(Integer.parseInt(m.group(1)), m.group(2).equals("-") ? "-" : m.group(2), m.group(3)))
                .toList();
    }
}
