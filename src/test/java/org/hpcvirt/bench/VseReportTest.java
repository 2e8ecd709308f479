package org.hpcvirt.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class VseReportTest {
    private static final long T0 = 1_764_600_000_000_000_000L;

    @Test
    void theMarkersOfAJobsOutputAreReadToTheNanosecondAmongOtherLines() {
        VseReport.ScriptTimes t = VseReport.parseScript("""
                hvbench-start 1764600001.250000001
                hvs-n1: 12.34 10.00
                hvbench-done 1764600002.5
                """, "bare-1.out");
        assertThat(t.startNanos()).isEqualTo(1_764_600_001_250_000_001L);
        assertThat(t.doneNanos()).isEqualTo(1_764_600_002_500_000_000L);
    }

    @Test
    void aMissingOrRepeatedMarkerIsRefusedNamingTheOutputAndTheMarker() {
        assertThatThrownBy(() -> VseReport.parseScript("hvbench-start 1.5\n", "cold-2.out"))
                .hasMessage("cold-2.out: no 'hvbench-done SECONDS' line (the job script did not get there)");
        assertThatThrownBy(() -> VseReport.parseScript("", "x.out")).hasMessageContaining("no 'hvbench-start SECONDS'");
        assertThatThrownBy(() -> VseReport.parseScript("hvbench-start 1.5\nhvbench-start 1.6\nhvbench-done 2.0\n", "y.out"))
                .hasMessage("y.out: 'hvbench-start' appears more than once");
        // a marker without a fraction is not date +%s.%N output
        assertThatThrownBy(() -> VseReport.parseScript("hvbench-start 15\nhvbench-done 2.0\n", "z.out"))
                .hasMessageContaining("no 'hvbench-start SECONDS'");
    }

    private static VseReport.ScriptTimes after(double start, double done) {
        return new VseReport.ScriptTimes(T0 + Math.round(start * 1e9), T0 + Math.round(done * 1e9));
    }

    private static VseReport report() {
        VseReport r = new VseReport();
        r.add("bare", T0, after(0.5, 1.0));
        r.add("bare", T0, after(0.3, 0.8));
        r.add("bare", T0, after(0.4, 0.9));
        r.add("cold", T0, after(12.4, 14.4));
        r.add("cold", T0, after(12.0, 14.0));
        r.add("cold", T0, after(13.0, 15.0));
        r.add("snap", T0, after(4.4, 6.4));
        r.add("snap", T0, after(3.0, 5.0));
        r.add("snap", T0, after(4.0, 6.0));
        r.addVmBoot(9.0);
        r.addVmBoot(10.0);
        return r;
    }

    @Test
    void samplesAreSecondsFromTheSubmissionAndMediansTakeTheMiddle() {
        VseReport r = report();
        assertThat(r.samples("cold").get(0).toScriptS()).isCloseTo(12.4, within(1e-9));
        assertThat(r.samples("cold").get(0).toDoneS()).isCloseTo(14.4, within(1e-9));
        assertThat(r.median("bare", false)).isCloseTo(0.4, within(1e-9));
        assertThat(r.median("snap", true)).isCloseTo(6.0, within(1e-9));
        assertThat(r.samples("other")).isEmpty();
    }

    @Test
    void theTableComparesTheOverheadWithOneBootPlusHalfASecondAndTheSpeedUpWithThreeTimes() {
        StringWriter w = new StringWriter();
        report().print(new PrintWriter(w, true), "bare", "cold", "snap");
        String s = w.toString();
        assertThat(s).containsPattern("\ncold +3  12.40 \\(12.00-13.00\\) +14.40 \\(14.00-15.00\\) *\n");
        assertThat(s).containsPattern("\none VM boot \\(node 1\\) +2  9.50 \\(9.00-10.00\\) *\n");
        // cold overhead 12.0 s > 9.5 + 0.5 = 10.0 s
        assertThat(s).contains("to the script's 1st line: cold +12.00 s, snap +3.60 s; goal for cold boot <= one VM boot + 0.5 s = 10.00 s: "
                + "not met (1.2× the budget)");
        // 12.4 / 4.0 = 3.10; (12.4 - 0.4) / (4.0 - 0.4) = 3.33
        assertThat(s).contains("cold boot / snapshot, submit -> script's 1st line: 3.10× (the overheads over bare Slurm alone: 3.33×); goal >= 3×: met");
    }

    @Test
    void bootsOfOneVmPerNodeAtOnceAreAFurtherRowAndComparison() {
        VseReport r = report();
        r.addParallelBoot(2, 5.5);
        r.addParallelBoot(2, 6.5);
        StringWriter w = new StringWriter();
        r.print(new PrintWriter(w, true), "bare", "cold", "snap");
        assertThat(w.toString()).containsPattern("\n2 VM boots at once +2  6.00 \\(5.50-6.50\\) *\n")
                .contains("the same against 2 VM boots at once (one per node, as the job's Prologs do) + 0.5 s = 6.50 s: cold boot +12.00 s is 1.8× that");
        StringWriter without = new StringWriter();
        report().print(new PrintWriter(without, true), "bare", "cold", "snap");
        assertThat(without.toString()).doesNotContain("at once");
        assertThat(w.toString()).doesNotContain("pinned");

        r.addPinnedParallelBoot(2, 7.0);
        r.addPinnedParallelBoot(2, 8.0);
        StringWriter pinned = new StringWriter();
        r.print(new PrintWriter(pinned, true), "bare", "cold", "snap");
        // (7.0 + 8.0) / 2 + 0.5 = 8.0; 12.0 / 8.0 = 1.5
        assertThat(pinned.toString()).containsPattern("\n2 at once, pinned +2  7.50 \\(7.00-8.00\\) *\n")
                .contains("the same against 2 VM boots at once, each pinned to its node's core as the Prologs pin them, + 0.5 s = 8.00 s:"
                        + " cold boot +12.00 s is 1.5× that");
    }

    @Test
    void aVariantWithoutSamplesCannotBePrinted() {
        VseReport r = new VseReport();
        r.add("bare", T0, after(0.5, 1.0));
        r.addVmBoot(9.0);
        assertThatThrownBy(() -> r.print(new PrintWriter(new StringWriter()), "bare", "cold", "snap")).hasMessage("no samples of 'cold'");
    }
}
