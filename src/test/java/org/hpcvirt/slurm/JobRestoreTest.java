package org.hpcvirt.slurm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.hpcvirt.api.Operation;
import org.hpcvirt.api.OperationClient;
import org.junit.jupiter.api.Test;

/** Which member of a job's newest good set each node of the new allocation restores, and what a restart without one does. */
class JobRestoreTest {
    final List<String> restores = new ArrayList<>();
    final List<List<String>> slurmCalls = new ArrayList<>();
    final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
    final PrintStream log = new PrintStream(logBytes, true, StandardCharsets.UTF_8);
    CheckpointSet.Restorable answer;

    final OperationClient daemon = new OperationClient() {
        @Override
        public <R> R execute(Operation op, Class<R> type) {
            if (op instanceof Operation.RestorableCheckpointSet) {
                return type.cast(answer);
            }
            if (op instanceof Operation.Restore r) {
                restores.add(r.id() + " -> " + r.name());
                return null;
            }
            throw new IllegalArgumentException(op.toString());
        }

        @Override
        public String endpoint() {
            return "n3";
        }

        @Override
        public void close() {
        }
    };

    final JobRestore restore = new JobRestore(daemon, argv -> {
        slurmCalls.add(argv);
        return new SlurmCommands.Result(0, "");
    }, log);

    static CheckpointSet set(int seq) {
        List<CheckpointSet.Member> ms = new ArrayList<>();
        for (String n : List.of("n1", "n2")) {
            for (int i = 0; i < 2; i++) {
                ms.add(new CheckpointSet.Member(n, i, "j7-" + n + "-" + i, "ck-" + n + "-" + i, "sha"));
            }
        }
        return new CheckpointSet(CheckpointSet.FORMAT, "7", seq, Instant.parse("2026-12-01T10:00:00Z"), "periodic", List.of("n1", "n2"), 2,
                10, ms);
    }

    static SlurmJob job(String node, String... nodes) {
        return new SlurmJob("7", "alice", node, List.of(nodes), "hvs", Path.of("/home/alice/j.yaml"));
    }

    @Test
    void theIthNodeOfTheNewAllocationRestoresTheSetsIthShareAndAFallBackIsSaidInTheComment() {
        answer = new CheckpointSet.Restorable(set(1), List.of("job 7 set 2: checkpoint ck-x is corrupted"));
        String how = restore.restore(job("n3", "n2", "n3"), 1, List.of("j7-n3-0", "j7-n3-1"), Duration.ofSeconds(60));
        assertThat(restores).containsExactly("ck-n2-0 -> j7-n3-0", "ck-n2-1 -> j7-n3-1");
        assertThat(how).startsWith("restored from job 7 set 1 (periodic, 2026-12-01T10:00:00Z; verified in ")
                .contains("j7-n3-0 from j7-n2-0 of n2, j7-n3-1 from j7-n2-1 of n2; newer set(s) skipped: job 7 set 2");
        assertThat(slurmCalls).containsExactly(List.of("scontrol", "update", "jobid=7",
                "comment=hpcvirt: restored from job 7 set 1; skipped: job 7 set 2: checkpoint ck-x is corrupted"));
    }

    @Test
    void aFirstRunOrARestartWithoutAGoodSetBoots() {
        answer = new CheckpointSet.Restorable(set(1), List.of());
        assertThat(restore.restore(job("n1", "n1", "n2"), 0, List.of("j7-n1-0", "j7-n1-1"), Duration.ofSeconds(60))).isNull();
        answer = new CheckpointSet.Restorable(null, List.of("job 7 set 1: checkpoint ck-n1-0 of j7-n1-0: checkpoint 'ck-n1-0' not found"));
        assertThat(restore.restore(job("n1", "n1", "n2"), 2, List.of("j7-n1-0", "j7-n1-1"), Duration.ofSeconds(60))).isNull();
        assertThat(restores).isEmpty();
        assertThat(logBytes.toString(StandardCharsets.UTF_8)).contains("hpcvirt: job 7 restart 2: no good checkpoint set (job 7 set 1: "
                + "checkpoint ck-n1-0 of j7-n1-0: checkpoint 'ck-n1-0' not found), booting cold");
        assertThat(slurmCalls).hasSize(1);
    }

    @Test
    void aSetWithMoreVmsThanTheNewAllocationHasSlotsIsRefusedNamingBoth() {
        answer = new CheckpointSet.Restorable(set(1), List.of());
        assertThatThrownBy(() -> restore.restore(job("n3", "n3"), 1, List.of("j7-n3-0", "j7-n3-1"), Duration.ofSeconds(60)))
                .hasMessage("job 7 set 1 has 4 VMs; this run has 1 node(s) × 2 VM(s)");
        assertThat(restores).isEmpty();
    }
}
