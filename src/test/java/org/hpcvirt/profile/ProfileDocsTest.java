package org.hpcvirt.profile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The examples and error messages shown in docs/profiles.md are what the code really does. */
class ProfileDocsTest {
    private final ProfileLoader loader = new ProfileLoader(ProfileFixturesTest.HOST);

    @Test
    void goodExampleLoads() throws IOException {
        VmProfile p = loader.parse(block("<!-- docs-example: good -->"), "docs");
        assertThat(p.name()).isEqualTo("compute-1");
        assertThat(p.pinning()).containsExactly(0);
    }

    @Test
    void errorMessageIsTheRealOne() throws IOException {
        ProfileException e = catchThrowableOfType(ProfileException.class,
                () -> loader.parse(block("<!-- docs-example: bad compute.yaml -->"), "compute.yaml"));
        assertThat(e).isNotNull();
        assertThat(e.getMessage() + "\n").isEqualTo(block("<!-- docs-example: message -->"));
    }

    /** The fenced block right after the marker line. */
    private static String block(String marker) throws IOException {
        String doc = Files.readString(Path.of("docs/profiles.md"));
        int at = doc.indexOf(marker);
        assertThat(at).as("marker " + marker + " in docs/profiles.md").isNotNegative();
        int start = doc.indexOf('\n', doc.indexOf("```", at)) + 1;
        return doc.substring(start, doc.indexOf("```", start));
    }
}
