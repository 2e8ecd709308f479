package org.hpcvirt.inject;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.cli.Main;
import org.hpcvirt.enclave.IsolationLevel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ContinuumMeasurementsTest {
    private static final String GOOD = """
            {"date": "2026-12-01", "machine": "2 cores", "note": "preliminary",
             "rows": [{"backend": "qemu", "isolation": "strict", "relativePerformance": 0.081,
                       "zone3": {"contained": 2, "runs": 2, "refused": null},
                       "zone4": {"contained": 1, "runs": 2, "refused": null}},
                      {"backend": "container", "isolation": "strict", "relativePerformance": 0.93,
                       "zone3": {"contained": 0, "runs": 0, "refused": "refused: the guest kernel is the host kernel"},
                       "zone4": {"contained": 2, "runs": 2, "refused": null}}]}
            """;

    @Test
    void aRecordedFileIsReadAndDescribedWithItsDate() {
        ContinuumMeasurements m = ContinuumMeasurements.parse(GOOD, "x.json");
        assertThat(m.find("qemu", IsolationLevel.STRICT)).isPresent();
        assertThat(m.find("qemu", IsolationLevel.PERFORMANCE)).isEmpty();
        assertThat(m.describe(m.find("qemu", IsolationLevel.STRICT).orElseThrow()))
                .isEqualTo("0.0810× native, E3 2/2 contained, E4 1/2 contained (2026-12-01)");
        assertThat(m.describe(m.find("container", IsolationLevel.STRICT).orElseThrow()))
                .isEqualTo("0.930× native, E3 refused, E4 2/2 contained (2026-12-01)");
    }

    @Test
    void theShippedMeasurementsAreWellFormedAndDated() {
        ContinuumMeasurements m = ContinuumMeasurements.shipped().orElseThrow();
        assertThat(m.date()).matches("\\d{4}-\\d{2}-\\d{2}");
        assertThat(m.rows()).isNotEmpty().allSatisfy(r -> assertThat(r.relativePerformance()).isPositive());
    }

    @Test
    void malformedFilesAreOneLineErrorsNamingFileAndProblem() {
        assertThatThrownBy(() -> ContinuumMeasurements.parse("{\"date\": \"2026-12-01\",\n \"rows\": [", "m.json"))
                .isInstanceOf(HpcvirtException.class).hasMessageStartingWith("m.json: line 2: ").hasMessageNotContaining("\n");
        assertThatThrownBy(() -> ContinuumMeasurements.parse("{\"date\": \"yesterday\"}", "m.json"))
                .hasMessage("m.json: field 'date': 'yesterday' is not a date (YYYY-MM-DD)");
        assertThatThrownBy(() -> ContinuumMeasurements.parse("{\"rows\": []}", "m.json")).hasMessage("m.json: field 'date' is missing");
        assertThatThrownBy(() -> ContinuumMeasurements.parse("{\"date\": \"2026-12-01\", \"colour\": 1}", "m.json"))
                .hasMessageStartingWith("m.json: line 1: ").hasMessageContaining("colour");
        assertThatThrownBy(() -> ContinuumMeasurements.parse(GOOD.replace("\"strict\", \"relativePerformance\": 0.081",
                "\"loose\", \"relativePerformance\": 0.081"), "m.json"))
                .hasMessageStartingWith("m.json: rows[0]: field 'isolation': unknown isolation level 'loose'");
        assertThatThrownBy(() -> ContinuumMeasurements.parse(GOOD.replace("0.081", "-1"), "m.json"))
                .hasMessage("m.json: rows[0]: field 'relativePerformance' must be a positive number");
        assertThatThrownBy(() -> ContinuumMeasurements.parse(GOOD.replace("\"contained\": 1, \"runs\": 2", "\"contained\": 3, \"runs\": 2"),
                "m.json")).hasMessage("m.json: rows[0]: contained must be 0..runs, not 3/2");
    }

    private static String[] zones(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.newCommandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new String[] {Integer.toString(code), out.toString(), err.toString()};
    }

    @Test
    void zonesShowsTheMeasuredValuesNextToTheModelAndNotMeasuredElsewhere(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("m.json");
        Files.writeString(f, GOOD);
        String[] r = zones("zones", "--measured", f.toString());
        assertThat(r[0]).isEqualTo("0");
        assertThat(r[1]).containsPattern("qemu +strict +limited .* 0\\.0810× native, E3 2/2 contained, E4 1/2 contained \\(2026-12-01\\)")
                .containsPattern("qemu +performance +limited .* not measured")
                .contains("measured 2026-12-01 on 2 cores; preliminary");
        String[] j = zones("zones", "--json", "--measured", f.toString());
        assertThat(j[0]).isEqualTo("0");
        assertThat(j[1]).contains("\"measured\" : {").contains("\"relativePerformance\" : 0.081").contains("\"measured\" : null");
    }

    @Test
    void aMalformedFileLeavesZonesWorkingAndSaysWhy(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("bad.json");
        Files.writeString(f, "{ not json");
        String[] r = zones("zones", "--measured", f.toString());
        assertThat(r[0]).isEqualTo("0");
        assertThat(r[1]).contains("E-Zone 3 (guest kernel)").contains("not measured")
                .contains("(measured values not shown: " + f + ": line 1: ").doesNotContain("at org.");
        String[] j = zones("zones", "--json", "--measured", f.toString());
        assertThat(j[0]).isEqualTo("0");
        assertThat(j[2]).startsWith("measured values not shown: " + f + ": line 1: ");
        String[] missing = zones("zones", "--measured", dir.resolve("nope.json").toString());
        assertThat(missing[1]).contains("nope.json: cannot read (NoSuchFileException)");
    }
}
