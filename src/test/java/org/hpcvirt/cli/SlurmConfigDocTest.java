package org.hpcvirt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/slurm.md shows exactly what {@code hpcvirt slurm config} prints. */
class SlurmConfigDocTest {
    @Test
    void theAdministratorsSetUpInTheDocsIsTheCommandsOutput() throws Exception {
        String doc = Files.readString(Path.of(System.getProperty("hpcvirt.repo", ".")).resolve("docs/slurm.md"));
        int start = doc.indexOf("$ hpcvirt slurm config\n");
        assertThat(start).as("docs/slurm.md has a session of hpcvirt slurm config").isNotNegative();
        int from = start + "$ hpcvirt slurm config\n".length();
        String shown = doc.substring(from, doc.indexOf("```", from));
        CliTest.Run r = CliTest.run("slurm", "config");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo(shown);
    }
}
