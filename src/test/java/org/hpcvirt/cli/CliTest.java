package org.hpcvirt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The ft and sim commands in-process: output, JSON, exit codes, no stack traces. */
class CliTest {
    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        CommandLine cl = Main.newCommandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    static Path res(String name) throws Exception {
        return Path.of(CliTest.class.getResource(name).toURI());
    }

    @Test
    void intervalJsonHasTheFourMethods() throws Exception {
        Run r = run("ft", "interval", "--mtbf", "24h", "--checkpoint-cost", "60s", "--json");
        assertThat(r.code()).isZero();
        JsonNode doc = new ObjectMapper().readTree(r.out());
        assertThat(doc.get("periods")).hasSize(4);
        assertThat(doc.get("periods").get(0).get("periodSeconds").asDouble()).isBetween(3219.9, 3220.0);
        assertThat(doc.get("periods").get(2).get("method").asText()).isEqualTo("exact");
    }

    @Test
    void badDurationIsExitCodeTwoWithoutStackTrace() {
        Run r = run("ft", "interval", "--mtbf", "soon", "--checkpoint-cost", "60s");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: --mtbf").doesNotContain("at org.");
    }

    @Test
    void explainShowsWhereEachValueComesFrom() throws Exception {
        Run r = run("ft", "policy", "explain", res("/ft/profile-long.yaml").toString(), "--center", res("/ft/center.yaml").toString(),
                "--admin", res("/ft/admin.yaml").toString());
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("policy     hybrid     admin (classes.long.policy)")
                .contains("period     90m        user (profile ft.period)");
        Run bad = run("ft", "policy", "explain", res("/ft/profile-too-long.yaml").toString(), "--center",
                res("/ft/center.yaml").toString(), "--admin", res("/ft/admin.yaml").toString());
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("user: period 3h is above the maximum 2h set by admin (classes.long.maxCheckpointPeriod)");
    }

    @Test
    void simRunJsonHasTheAgreedKeysAndFlagsOverrideTheFile() throws Exception {
        Run r = run("sim", "run", res("/sim/hybrid.yaml").toString(), "--replications", "2", "--horizon", "30d", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode doc = new ObjectMapper().readTree(r.out());
        for (String k : new String[] {"waste", "efficiency", "checkpoints", "failures", "migrations", "period"}) {
            assertThat(doc.has(k)).as(k).isTrue();
        }
        assertThat(doc.get("replications").asInt()).isEqualTo(2);
        assertThat(doc.get("nodes").asInt()).isEqualTo(4096);
    }

    @Test
    void simErrorsNameTheFlagOrTheFileLine() throws Exception {
        Run flag = run("sim", "run", "--node-mtbf", "often");
        assertThat(flag.code()).isEqualTo(2);
        assertThat(flag.err()).startsWith("error: --node-mtbf");
        Run file = run("sim", "run", res("/sim/bad-field.yaml").toString());
        assertThat(file.code()).isEqualTo(2);
        assertThat(file.err()).contains("line 3: unknown field 'polcy'").doesNotContain("at com.");
    }

    @Test
    void sweepWritesAReportAndCharts(@TempDir Path dir) {
        Run r = run("sim", "run", "--nodes", "1024", "--node-mtbf", "1024h", "--policy", "hybrid", "--lead-time", "10m",
                "--horizon", "30d", "--replications", "2", "--sweep", "recall=0,0.5", "--out", dir.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(dir.resolve("report.md")).content().contains("| recall |").contains("| 0.5 |");
        assertThat(dir.resolve("waste.png")).isNotEmptyFile();
        assertThat(dir.resolve("events.png")).isNotEmptyFile();
    }
}
