package org.hpcvirt.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.hpcvirt.api.Json;
import org.hpcvirt.bench.ContinuumBenchmark;
import org.hpcvirt.bench.ContinuumReport;
import org.hpcvirt.bench.ContinuumResult;
import org.hpcvirt.daemon.Daemon;
import org.hpcvirt.enclave.IsolationLevel;
import org.hpcvirt.inject.ContinuumMeasurements;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hpcvirt bench continuum} for real on native and qemu with tiny sizes: the same binary runs on both
 * (same checksums), the table, JSON and chart are written, and the campaign's cells are counted. No timing
 * thresholds: only that times are positive and the files are well-formed.
 */
class ContinuumBenchmarkIT {
    @Test
    void nativeAndQemuSideBySideWithTheirCampaign(@TempDir Path out) throws Exception {
        StringWriter printed = new StringWriter();
        ContinuumBenchmark.Options o = new ContinuumBenchmark.Options(List.of("qemu"), 1, 0.02, 5, 1,
                List.of(IsolationLevel.STRICT), TestNode.IMAGE, out);
        ContinuumResult r = new ContinuumBenchmark(Daemon.defaultBackends(), TestNode.sharedImages(), o, new PrintWriter(printed, true),
                new PrintStream(OutputStream.nullOutputStream())).run();

        assertThat(r.solutions()).extracting(ContinuumResult.Solution::name).containsExactly("native", "qemu");
        ContinuumResult.Solution n = r.solutions().get(0);
        ContinuumResult.Solution q = r.solutions().get(1);
        assertThat(q.status()).isNull();
        for (String w : ContinuumResult.WORKLOADS) {
            assertThat(n.workloads().get(w).median()).as("native " + w).isPositive();
            assertThat(q.workloads().get(w).median()).as("qemu " + w).isPositive();
            assertThat(ContinuumReport.relative(n, q, w)).as(w).isPresent();
        }
        // native ran twice as many samples (before and after), the round trip once per round trip and run
        assertThat(n.workloads().get("cpu").samples()).hasSize(2);
        assertThat(q.workloads().get("roundtrip").samples()).hasSize(5);
        for (String w : List.of("cpu", "mem", "fileio")) {
            assertThat(q.workloads().get(w).checksum()).as("the same binary computes the same " + w)
                    .isEqualTo(n.workloads().get(w).checksum());
        }
        assertThat(q.fileWhere()).contains("data disk");
        assertThat(n.roundTrip()).as("natively the same agent answers").contains("guest agent run natively");
        assertThat(ContinuumReport.relativeGeomean(r, q).getAsDouble()).isPositive();

        assertThat(r.zones()).hasSize(2);
        for (ContinuumResult.ZoneCell c : r.zones()) {
            assertThat(c.refused()).as(c.fault()).isNull();
            assertThat(c.runs() + c.broken()).as(c.fault()).isEqualTo(1);
            assertThat(c.contained()).isBetween(0, c.runs());
            assertThat(c.expected()).isEqualTo("limited");
        }

        String md = Files.readString(out.resolve("continuum.md"));
        assertThat(md).contains("| native | — |").contains("| qemu | strict |");
        JsonNode json = Json.mapper().readTree(out.resolve("continuum.json").toFile());
        assertThat(json.get("solutions")).hasSize(2);
        assertThat(json.get("zones")).hasSize(2);
        byte[] png = Files.readAllBytes(out.resolve("continuum.png"));
        assertThat(new String(png, 1, 3, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("PNG");
        assertThat(printed.toString()).contains("qemu       geomean ");

        Path rec = out.resolve("measured.json");
        ContinuumReport.measurements(r, "test machine", "").write(rec);
        ContinuumMeasurements m = ContinuumMeasurements.parse(Files.readString(rec), rec.toString());
        assertThat(m.find("qemu", IsolationLevel.STRICT)).isPresent();
    }
}
