package org.hpcvirt.vse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The time-limit rule of a partition: the partition's block over the rules of every partition over none. */
class TimeLimitRuleTest {
    @TempDir
    Path dir;

    @Test
    void thePartitionsRuleWinsAndNothingSaidMeansSlurmEndsTheJob() throws IOException {
        Path p = Files.writeString(dir.resolve("p.yaml"), """
                limits:
                  timeLimitMargin: 2m
                partitions:
                  long:
                    onTimeLimit: checkpoint-requeue
                  short:
                    maxCheckpointPeriod: 1h
                """);
        VseLoader.Loaded<VsePolicy> policy = VseLoader.policy(p);
        assertThat(TimeLimitRule.of(policy, "long"))
                .isEqualTo(new TimeLimitRule("checkpoint-requeue", Duration.ofMinutes(2), "admin (partitions.long.onTimeLimit)"));
        assertThat(TimeLimitRule.of(policy, "short").action()).isEqualTo("none");
        assertThat(TimeLimitRule.of(policy, null)).isEqualTo(new TimeLimitRule("none", Duration.ofMinutes(2), "built-in default"));
        assertThat(TimeLimitRule.of(new VseLoader.Loaded<>(VsePolicy.NONE, policy.source()), "long").margin())
                .isEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void aBadRuleIsRefusedNamingTheFieldAlsoAtSubmission() throws IOException {
        Path p = Files.writeString(dir.resolve("bad.yaml"), "partitions:\n  long:\n    onTimeLimit: extend\n");
        assertThatThrownBy(() -> TimeLimitRule.of(VseLoader.policy(p), "long"))
                .hasMessageContaining("partitions.long.onTimeLimit").hasMessageContaining("'extend' is not one of none, checkpoint-requeue");
        assertThatThrownBy(() -> VseMerge.merge(new VseLoader.Loaded<>(VseFile.EMPTY, VseLoader.policy(p).source()), VseLoader.policy(p),
                "long", null)).hasMessageContaining("'extend' is not one of none, checkpoint-requeue");
        Path m = Files.writeString(dir.resolve("margin.yaml"), "limits:\n  timeLimitMargin: soon\n");
        assertThatThrownBy(() -> TimeLimitRule.of(VseLoader.policy(m), null))
                .hasMessageContaining("limits.timeLimitMargin").hasMessageContaining("'soon' is not a duration");
    }
}
