package org.hpcvirt.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.inject.ContinuumMeasurements;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContinuumReportTest {
    private static ContinuumResult.Solution solution(String name, double cpu, double mem, double sys, double file, double rt) {
        return solution(name, cpu, mem, sys, file, rt, true);
    }

    private static ContinuumResult.Solution solution(String name, double cpu, double mem, double sys, double file, double rt,
                                                     boolean fileCompared) {
        Map<String, ContinuumResult.Measure> w = new LinkedHashMap<>();
        w.put("cpu", new ContinuumResult.Measure(cpu, null, "s", List.of(cpu), "00"));
        w.put("mem", new ContinuumResult.Measure(mem, null, "s", List.of(mem), "00"));
        w.put("syscall", new ContinuumResult.Measure(sys, null, "s", List.of(sys), "00"));
        w.put("fileio", new ContinuumResult.Measure(file, null, "s", List.of(file), "00"));
        w.put("roundtrip", new ContinuumResult.Measure(rt, rt * 2, "µs", List.of(rt), null));
        return new ContinuumResult.Solution(name, null, "somewhere", fileCompared, "relayed", w);
    }

    private static ContinuumResult result() {
        ContinuumResult.Solution nat = solution("native", 0.2, 0.2, 0.2, 0.1, 50);
        // qemu: 10× slower in every workload
        ContinuumResult.Solution qemu = solution("qemu", 2, 2, 2, 1, 500);
        ContinuumResult.Solution kvm = new ContinuumResult.Solution("kvm", "not runnable here: test boot hangs", null, false, null, Map.of());
        List<ContinuumResult.ZoneCell> zones = List.of(
                new ContinuumResult.ZoneCell("qemu", "strict", 3, "kerncrash", 2, 2, 0, null, "limited", List.of("limited", "limited")),
                new ContinuumResult.ZoneCell("qemu", "strict", 4, "segfault", 1, 2, 1, null, "limited", List.of("limited", "varied")),
                new ContinuumResult.ZoneCell("container", "strict", 3, "kerncrash", 0, 0, 0, "refused: the guest kernel is the host kernel",
                        "global", List.of()));
        return new ContinuumResult("2026-12-01", "2026-12-01T10:00:00Z", Map.of("cores", "2"), 3,
                ContinuumBenchmark.sizes(1.0, 50), List.of(nat, qemu, kvm), zones);
    }

    @Test
    void relativePerformanceIsNativeTimeOverTimeHereAndTheGeomeanCombinesThem() {
        ContinuumResult r = result();
        ContinuumResult.Solution n = ContinuumReport.solution(r, "native").orElseThrow();
        ContinuumResult.Solution q = ContinuumReport.solution(r, "qemu").orElseThrow();
        assertThat(ContinuumReport.relative(n, q, "cpu").getAsDouble()).isCloseTo(0.1, within(1e-12));
        assertThat(ContinuumReport.relative(n, q, "roundtrip").getAsDouble()).isCloseTo(0.1, within(1e-12));
        assertThat(ContinuumReport.relativeGeomean(r, q).getAsDouble()).isCloseTo(0.1, within(1e-12));
        assertThat(ContinuumReport.relativeGeomean(r, n).getAsDouble()).isCloseTo(1.0, within(1e-12));
        assertThat(ContinuumReport.relativeGeomean(r, ContinuumReport.solution(r, "kvm").orElseThrow())).isEmpty();
    }

    @Test
    void fileIoIntoATmpfsIsShownButLeftOutOfTheGeomean() {
        ContinuumResult base = result();
        // 2× faster than native in everything but a file I/O 100× faster (RAM): the geomean must stay 2
        ContinuumResult.Solution c = solution("container", 0.1, 0.1, 0.1, 0.001, 25, false);
        ContinuumResult r = new ContinuumResult(base.date(), base.started(), base.host(), base.runs(), base.sizes(),
                List.of(base.solutions().get(0), c), base.zones());
        assertThat(ContinuumReport.relativeGeomean(r, c).getAsDouble()).isCloseTo(2.0, within(1e-12));
        assertThat(ContinuumReport.markdown(r)).contains("| 0.001 s (tmpfs, not compared) |").contains("**2.000**");
        assertThat(ContinuumReport.ratios(r)).contains("fileio 100.000 (tmpfs, not in the geomean)");
    }

    @Test
    void geomeanOfKnownValuesAndItsBadInput() {
        assertThat(ContinuumReport.geomean(List.of(2.0, 8.0))).isCloseTo(4.0, within(1e-12));
        assertThat(ContinuumReport.geomean(List.of(0.5))).isCloseTo(0.5, within(1e-12));
        assertThatThrownBy(() -> ContinuumReport.geomean(List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ContinuumReport.geomean(List.of(1.0, 0.0))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("non-positive");
    }

    @Test
    void theTableHasARowPerSolutionAndIsolationWithRatiosContainedFaultsAndTheModel() {
        String md = ContinuumReport.markdown(result());
        List<String> rows = md.lines().filter(l -> l.startsWith("| ")).toList();
        assertThat(rows.get(0)).contains("E-Zone 3 (kerncrash) contained").contains("E-Zone 4 (segfault) contained");
        assertThat(rows).anySatisfy(l -> assertThat(l).startsWith("| native | — | 0.200 s (1.000)").contains("**1.000**"));
        assertThat(rows).anySatisfy(l -> assertThat(l).startsWith("| qemu | strict | 2.000 s (0.100)").contains("500 µs (0.100)")
                .contains("**0.100**").contains("| 2/2 | 1/2 (1 broken) | limited / limited |"));
        assertThat(rows).anySatisfy(l -> assertThat(l).startsWith("| kvm | — | not runnable here: test boot hangs |"));
        assertThat(md).contains("- qemu: file I/O on somewhere; round trip: relayed");
    }

    @Test
    void withoutACampaignEachSolutionHasOneRowAndNoFaultColumnsFilled(@TempDir Path dir) {
        ContinuumResult base = result();
        ContinuumResult r = new ContinuumResult(base.date(), base.started(), base.host(), base.runs(), base.sizes(),
                base.solutions(), List.of());
        String md = ContinuumReport.markdown(r);
        assertThat(md).contains("| qemu | — | 2.000 s (0.100)").contains("| not run | not run | — |");
        ContinuumReport.chart(r, dir.resolve("c.png"));
        assertThat(dir.resolve("c.png")).isNotEmptyFile();
        assertThat(ContinuumReport.measurements(r, "m", "").rows()).isEmpty();
    }

    @Test
    void theContainedFractionIsTheMeanOverZonesAndARefusedZoneCountsZero() {
        ContinuumResult r = result();
        // E-Zone 3 2/2, E-Zone 4 1/2 (the broken run left out)
        assertThat(ContinuumReport.containedFraction(r, "qemu", "strict").getAsDouble()).isCloseTo(0.75, within(1e-12));
        assertThat(ContinuumReport.containedFraction(r, "container", "strict").getAsDouble()).isZero();
        assertThat(ContinuumReport.containedFraction(r, "qemu", "performance")).isEmpty();
    }

    @Test
    void theChartIsAPngAndTheMeasurementsReadBackAsZonesReadsThem(@TempDir Path dir) throws Exception {
        ContinuumResult r = result();
        Path png = dir.resolve("c.png");
        ContinuumReport.chart(r, png);
        byte[] head = Files.readAllBytes(png);
        assertThat(head.length).isGreaterThan(1000);
        assertThat(new String(head, 1, 3, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("PNG");
        ContinuumMeasurements m = ContinuumReport.measurements(r, "2 cores", "preliminary");
        Path f = dir.resolve("m.json");
        m.write(f);
        ContinuumMeasurements back = ContinuumMeasurements.parse(Files.readString(f), "m.json");
        assertThat(back.rows()).hasSize(1);
        ContinuumMeasurements.Row row = back.rows().get(0);
        assertThat(row.backend()).isEqualTo("qemu");
        assertThat(row.relativePerformance()).isCloseTo(0.1, within(1e-12));
        assertThat(row.zone3()).isEqualTo(new ContinuumMeasurements.Faults(2, 2, null));
        assertThat(back.describe(row)).isEqualTo("0.100× native, E3 2/2 contained, E4 1/2 contained (2026-12-01)");
    }

    @Test
    void aKernelResultLineIsParsedAndAnythingElseIsAClearError() {
        KernelResult k = KernelResult.parse("noise\nkernel=cpu work=40000000 unit=iterations seconds=0.268535 checksum=42c5791abe597753\n",
                "native");
        assertThat(k).isEqualTo(new KernelResult("cpu", 40_000_000L, "iterations", 0.268535, "42c5791abe597753"));
        assertThatThrownBy(() -> KernelResult.parse("Segmentation fault\n", "qemu")).isInstanceOf(HpcvirtException.class)
                .hasMessage("hpcvirt-kernels on qemu printed no result line: Segmentation fault");
        assertThatThrownBy(() -> KernelResult.parse("", "qemu")).hasMessageEndingWith("(no output)");
        assertThatThrownBy(() -> KernelResult.parse("kernel=cpu work=1 unit=iterations seconds=0.000000 checksum=0000000000000000",
                "native")).hasMessageContaining("too small to time");
        assertThatThrownBy(() -> KernelResult.parse("kernel=cpu work=1 unit=iterations seconds=0.1 checksum=xyz", "native"))
                .hasMessageContaining("no result line");
    }
}
