package org.hpcvirt.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The table of {@code hpcvirt bench recovery --case predicted}: medians and ranges, the heartbeat and the pause goal. */
class PredictedRecoveryReportTest {
    @Test
    void theTableGivesMediansRangesAndWhetherTheGoalIsMet() {
        List<PredictedRecoveryBenchmark.Round> rounds = List.of(
                new PredictedRecoveryBenchmark.Round(6.1, 4.2, 2300, 4, 20, 10, 12),
                new PredictedRecoveryBenchmark.Round(5.9, 4.0, 2100, 6, 30, 11, 14),
                new PredictedRecoveryBenchmark.Round(7.0, 4.9, 2500, 5, 61, 9, 12));
        String t = PredictedRecoveryBenchmark.table(rounds, 10);
        assertThat(t).contains("3 round(s), downtime limit 10 ms")
                .containsPattern("whole command \\(s\\) +6\\.10 \\(5\\.90-7\\.00\\)")
                .containsPattern("QEMU downtime \\(ms\\) +5 \\(4-6\\)")
                .contains("heartbeat sequence went on after every move: yes")
                .contains("goal: guest pause <= 50 ms: not met (worst 61 ms)");
        String met = PredictedRecoveryBenchmark.table(rounds.subList(0, 2), 10);
        assertThat(met).contains("goal: guest pause <= 50 ms: met (worst 30 ms)");
        String lost = PredictedRecoveryBenchmark.table(List.of(new PredictedRecoveryBenchmark.Round(1, 1, 1, 1, 1, 10, 10)), 10);
        assertThat(lost).contains("heartbeat sequence went on after every move: NO");
    }
}
