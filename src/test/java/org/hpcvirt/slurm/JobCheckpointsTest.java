package org.hpcvirt.slurm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Json;
import org.hpcvirt.api.Operation;
import org.hpcvirt.api.OperationClient;
import org.hpcvirt.api.VmState;
import org.hpcvirt.checkpoint.CheckpointManifest;
import org.hpcvirt.checkpoint.CheckpointStore;
import org.hpcvirt.vm.VmStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Coordinated job checkpoints against fake nodes that write real checkpoint directories into a real
 * store: the order pause-all → capture-all → resume-all, failures that leave no set and every VM
 * running, verification and fall-back to an older set, pruning that never deletes the newest good
 * set, and the clocks of the job's first node (periodic sets, checkpoint + requeue before the time limit).
 */
class JobCheckpointsTest {
    @TempDir
    Path dir;

    /** A node's daemon as far as a job checkpoint needs it: its VMs, and checkpoints written into the store. */
    final class FakeNode implements OperationClient {
        final String name;
        final List<String> vms;
        final Map<String, VmState> states = new java.util.concurrent.ConcurrentHashMap<>();
        String failCheckpointOf;

        FakeNode(String name, String... vms) {
            this.name = name;
            this.vms = List.of(vms);
            for (String v : vms) {
                states.put(v, VmState.RUNNING);
            }
        }

        @Override
        public <R> R execute(Operation op, Class<R> type) {
            synchronized (calls) {
                calls.add(name + " " + op.getClass().getSimpleName() + (op instanceof Operation.VmOperation v ? " " + v.name() : ""));
            }
            Object r;
            if (op instanceof Operation.ListVms) {
                r = vms.stream().map(v -> status(v)).toArray(VmStatus[]::new);
            } else if (op instanceof Operation.Pause p) {
                states.put(p.name(), VmState.PAUSED);
                r = status(p.name());
            } else if (op instanceof Operation.Resume p) {
                states.put(p.name(), VmState.RUNNING);
                r = status(p.name());
            } else if (op instanceof Operation.Checkpoint c) {
                if (c.name().equals(failCheckpointOf)) {
                    throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "No space left on device");
                }
                assertThat(states.entrySet().stream().filter(e -> e.getKey().startsWith("j")).map(Map.Entry::getValue))
                        .as("every VM of the job on the node paused while one is captured").containsOnly(VmState.PAUSED);
                r = fakeCheckpoint(c.name(), c.tag());
            } else {
                throw new IllegalArgumentException(op.toString());
            }
            return type.cast(r);
        }

        VmStatus status(String v) {
            return Json.mapper().convertValue(Map.of("name", v, "state", states.get(v).name(), "cpus", 1, "memoryBytes", 1,
                    "pid", -1, "lastHeartbeatSeq", -1, "lastHeartbeatAgeMs", -1, "guestUptimeMs", -1), VmStatus.class);
        }

        @Override
        public String endpoint() {
            return name;
        }

        @Override
        public void close() {
            closed.add(name);
        }
    }

    final List<String> calls = new ArrayList<>();
    final Set<String> closed = Collections.synchronizedSet(new HashSet<>());
    int made;

    CheckpointStore store() {
        return new CheckpointStore(dir.resolve("store"));
    }

    /** A real, complete checkpoint directory of {@code vm}: a state file and its manifest. */
    CheckpointManifest fakeCheckpoint(String vm, String tag) {
        CheckpointStore st = store();
        CheckpointStore.Pending p = st.begin(vm);
        try {
            Files.writeString(p.stateFile(), "state of " + vm + " #" + (++made), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        CheckpointManifest.FileEntry f = st.describe(p.stateFile());
        CheckpointManifest.FileEntry entry = new CheckpointManifest.FileEntry(p.id() + "/state.bin", f.size(), f.sha256());
        CheckpointManifest m = new CheckpointManifest(CheckpointManifest.FORMAT, p.id(), vm, tag, Instant.now(), null, "qemu", "7.2",
                false, 1, 1, f.size(), 5, 7, 9, null, 0, List.of(), List.of(entry), "root");
        return st.commit(p, m);
    }

    JobCheckpoints coordinator(FakeNode... nodes) {
        Map<String, FakeNode> byName = new java.util.HashMap<>();
        for (FakeNode n : nodes) {
            byName.put(n.name, n);
        }
        return new JobCheckpoints(new CheckpointSets(store()), byName::get, line -> { });
    }

    @Test
    void allVmsOfAllNodesArePausedBeforeAnyIsCapturedAndResumedAfterwards() {
        FakeNode n1 = new FakeNode("n1", "j7-n1-0", "j7-n1-1", "other-vm");
        FakeNode n2 = new FakeNode("n2", "j7-n2-0", "j7-n2-1");
        CheckpointSet s = coordinator(n1, n2).checkpoint("7", List.of("n1", "n2"), "request", 2);

        assertThat(s.seq()).isEqualTo(1);
        assertThat(s.vmsPerNode()).isEqualTo(2);
        assertThat(s.members()).extracting(CheckpointSet.Member::vm).containsExactly("j7-n1-0", "j7-n1-1", "j7-n2-0", "j7-n2-1");
        int lastPause = lastIndexOf("Pause");
        assertThat(lastPause).isLessThan(firstIndexOf("Checkpoint"));
        assertThat(lastIndexOf("Checkpoint")).isLessThan(firstIndexOf("Resume"));
        assertThat(calls).noneMatch(c -> c.contains("other-vm") && !c.contains("ListVms"));
        assertThat(n1.states.get("j7-n1-0")).isEqualTo(VmState.RUNNING);
        assertThat(n2.states.values()).containsOnly(VmState.RUNNING);
        assertThat(closed).containsExactlyInAnyOrder("n1", "n2");
        CheckpointSets sets = new CheckpointSets(store());
        assertThat(sets.problem(s)).isNull();
        assertThat(sets.restorable("7").set()).isEqualTo(s);
        assertThat(store().get(s.members().get(0).checkpoint()).tag()).isEqualTo("job:7:set:1");
    }

    @Test
    void aCaptureThatFailsOnOneNodeLeavesNoSetNoCheckpointAndEveryVmRunning() {
        FakeNode n1 = new FakeNode("n1", "j7-n1-0");
        FakeNode n2 = new FakeNode("n2", "j7-n2-0");
        JobCheckpoints c = coordinator(n1, n2);
        CheckpointSet good = c.checkpoint("7", List.of("n1", "n2"), "periodic", 2);
        n2.failCheckpointOf = "j7-n2-0";

        assertThatThrownBy(() -> c.checkpoint("7", List.of("n1", "n2"), "periodic", 2))
                .hasMessage("n2: No space left on device");
        assertThat(n1.states.values()).containsOnly(VmState.RUNNING);
        assertThat(n2.states.values()).containsOnly(VmState.RUNNING);
        CheckpointSets sets = new CheckpointSets(store());
        assertThat(sets.list("7")).containsExactly(good);
        // the checkpoint n1 made for the failed set is gone again; only the good set's two remain
        assertThat(store().list(null)).hasSize(2);
    }

    @Test
    void aJobWithoutVmsAndABadJobIdAreClearErrors() {
        FakeNode n1 = new FakeNode("n1", "compute-1");
        assertThatThrownBy(() -> coordinator(n1).checkpoint("7", List.of("n1"), "request", 2))
                .hasMessage("VMs of job 7 on n1 not found");
        assertThatThrownBy(() -> coordinator(n1).checkpoint("7;rm", List.of("n1"), "request", 2))
                .hasMessage("'7;rm' is not a Slurm job id");
    }

    @Test
    void aCorruptedNewestSetFallsBackToThePreviousOneAndPruningNeverDeletesTheLastGoodSet() throws IOException {
        FakeNode n1 = new FakeNode("n1", "j8-n1-0");
        JobCheckpoints c = coordinator(n1);
        CheckpointSet s1 = c.checkpoint("8", List.of("n1"), "periodic", 1);
        CheckpointSet s2 = c.checkpoint("8", List.of("n1"), "periodic", 1);
        CheckpointSets sets = new CheckpointSets(store());
        assertThat(sets.list("8")).as("keep 1: the older set is pruned once a newer one is good").containsExactly(s2);
        assertThat(store().list(null)).extracting(CheckpointManifest::id).containsExactly(s2.members().get(0).checkpoint());

        // a bit flips in the newest good set: the next set is made, then corrupted too
        CheckpointSet s3 = c.checkpoint("8", List.of("n1"), "periodic", 1);
        Path state = store().resolve(s3.members().get(0).checkpoint() + "/state.bin");
        byte[] b = Files.readAllBytes(state);
        b[0] ^= 1;
        Files.write(state, b);
        // s3 was good when written, so s2 went; with s3 corrupt there is no good set and nothing more is deleted
        CheckpointSet.Restorable none = sets.restorable("8");
        assertThat(none.set()).isNull();
        assertThat(none.skipped()).singleElement().asString().startsWith("job 8 set 3: checkpoint " + s3.members().get(0).checkpoint()
                + " is corrupted");
        assertThat(sets.prune("8", 1)).isEmpty();

        b[0] ^= 1;
        Files.write(state, b);
        CheckpointSet s4 = c.checkpoint("8", List.of("n1"), "periodic", 2);
        Path state4 = store().resolve(s4.members().get(0).checkpoint() + "/state.bin");
        Files.writeString(state4, "truncated");
        CheckpointSet.Restorable r = sets.restorable("8");
        assertThat(r.set()).as("the newest good set").isEqualTo(s3);
        assertThat(r.skipped()).singleElement().asString().contains("job 8 set 4", "is corrupted");
        // keep 1 would delete set 3, the last good one: it stays
        assertThat(sets.prune("8", 1)).isEmpty();
        assertThat(sets.list("8")).containsExactly(s3, s4);
        assertThat(s1.seq()).isEqualTo(1);
    }

    @Test
    void aSetFileThatCannotBeWrittenLeavesTheCheckpointsOfThatSetDeleted() throws IOException {
        FakeNode n1 = new FakeNode("n1", "j9-n1-0");
        JobCheckpoints c = coordinator(n1);
        Files.createDirectories(store().root().resolve("jobs"));
        Files.writeString(store().root().resolve("jobs/9"), "a file where the job's directory should be");
        assertThatThrownBy(() -> c.checkpoint("9", List.of("n1"), "request", 2))
                .hasMessageStartingWith("cannot write checkpoint set " + store().root().resolve("jobs/9/set-1.json"));
        assertThat(store().list(null)).isEmpty();
        assertThat(n1.states.values()).containsOnly(VmState.RUNNING);
    }

    @Test
    void theFirstNodesClockTakesPeriodicSetsAndCheckpointsAndRequeuesBeforeTheTimeLimit() throws IOException {
        Path records = Files.createDirectories(dir.resolve("vse"));
        Instant t0 = Instant.parse("2026-12-01T10:00:00Z");
        Files.writeString(records.resolve("5.json"), """
                {"job": "5", "deployed": "2026-12-01T10:00:00Z", "nodes": ["n1", "n2"], "checkpointPeriodSeconds": 600,
                 "timeLimit": {"action": "checkpoint-requeue", "marginSeconds": 60}}
                """);
        Files.writeString(records.resolve("6.json"), """
                {"job": "6", "deployed": "2026-12-01T10:00:00Z", "nodes": ["n2", "n1"], "checkpointPeriodSeconds": 60,
                 "timeLimit": {"action": "checkpoint-requeue", "marginSeconds": 60}}
                """);
        List<String> taken = new ArrayList<>();
        List<List<String>> slurmCalls = new ArrayList<>();
        List<String> log = new ArrayList<>();
        SlurmCommands slurm = argv -> {
            slurmCalls.add(argv);
            return argv.get(0).equals("squeue") ? new SlurmCommands.Result(0, "30:00\n") : new SlurmCommands.Result(0, "");
        };
        JobTimers timers = new JobTimers(records, "n1", (job, nodes, reason) -> {
            taken.add(job + " " + nodes + " " + reason);
            return new CheckpointSet(CheckpointSet.FORMAT, job, taken.size(), t0, reason, nodes, 1, 0, List.of());
        }, slurm, log::add);

        timers.tick(t0.plusSeconds(1));
        assertThat(taken).isEmpty();
        timers.tick(t0.plusSeconds(601));
        assertThat(taken).as("job 6's first node is n2: its clock is n2's").containsExactly("5 [n1, n2] periodic");
        timers.tick(t0.plusSeconds(1000));
        assertThat(taken).hasSize(1);
        // 30 min left at the first look (t0 + 1 s): 60 s before the end, a set and then scontrol requeue
        timers.tick(t0.plusSeconds(1 + 29 * 60 - 1));
        assertThat(taken).containsExactly("5 [n1, n2] periodic", "5 [n1, n2] periodic");
        timers.tick(t0.plusSeconds(1 + 29 * 60));
        assertThat(taken).containsExactly("5 [n1, n2] periodic", "5 [n1, n2] periodic", "5 [n1, n2] time-limit");
        assertThat(slurmCalls).contains(List.of("scontrol", "requeue", "5"));
        assertThat(log).containsExactly("hpcvirt: job 5 near its time limit: job 5 set 3 taken, job requeued");
        timers.tick(t0.plusSeconds(1 + 29 * 60 + 5));
        assertThat(taken).as("requeued once").hasSize(3);
    }

    @Test
    void squeuesTimeLeftIsParsed() {
        assertThat(JobTimers.parseTimeLeft("0:45")).isEqualTo(Duration.ofSeconds(45));
        assertThat(JobTimers.parseTimeLeft("1:02:03")).isEqualTo(Duration.ofSeconds(3723));
        assertThat(JobTimers.parseTimeLeft("2-00:00:10")).isEqualTo(Duration.ofDays(2).plusSeconds(10));
        assertThat(JobTimers.parseTimeLeft("UNLIMITED")).isNull();
        assertThat(JobTimers.parseTimeLeft("INVALID")).isNull();
    }

    private int firstIndexOf(String op) {
        for (int i = 0; i < calls.size(); i++) {
            if (calls.get(i).contains(" " + op + " ")) {
                return i;
            }
        }
        return -1;
    }

    private int lastIndexOf(String op) {
        for (int i = calls.size() - 1; i >= 0; i--) {
            if (calls.get(i).contains(" " + op + " ")) {
                return i;
            }
        }
        return -1;
    }
}
