package org.hpcvirt.slurm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.hpcvirt.api.HpcvirtException;
import org.junit.jupiter.api.Test;

/** Spare nodes and the evacuation of a node predicted to fail, against daemons in memory and a scripted Slurm. */
class JobEvacuationTest {
    private static final String ALL_UP = "hvs-n1|allocated|none\nhvs-n2|allocated|none\nhvs-n3|allocated|none\n";

    private static FakeCluster jobOnThreeNodes(boolean proactive) {
        FakeCluster c = new FakeCluster("hvs-n1", "hvs-n2", "hvs-n3");
        List<String> spares = Spares.of(List.of("hvs-n1", "hvs-n2", "hvs-n3"), 1);
        c.deployed("5", "hvs-n1", List.of("j5-hvs-n1-0"), spares, proactive);
        c.deployed("5", "hvs-n2", List.of("j5-hvs-n2-0"), spares, proactive);
        c.deployed("5", "hvs-n3", List.of(), spares, proactive);
        c.sinfo = ALL_UP;
        c.squeue = "5|RUNNING|hvs-n[1-3]\n";
        return c;
    }

    @Test
    void theSparesAreTheLastNodesOfTheAllocationAndAJobNeedsOneNodeMore() {
        assertThat(Spares.of(List.of("a1", "a2", "a3"), 1)).containsExactly("a3");
        assertThat(Spares.of(List.of("a1", "a2", "a3"), 2)).containsExactly("a2", "a3");
        assertThat(Spares.compute(List.of("a1", "a2", "a3"), 1)).containsExactly("a1", "a2");
        assertThat(Spares.of(List.of("a1"), 0)).isEmpty();
        assertThatThrownBy(() -> Spares.of(List.of("a1", "a2"), 2)).isInstanceOf(HpcvirtException.class)
                .hasMessage("2 spare node(s) need a job of at least 3 nodes (-N3: -N counts the spares, which get no VM), not 2");
    }

    @Test
    void aTrustedPredictionDrainsTheNodeAndMovesItsJobVmsToTheJobsSpare() {
        FakeCluster c = jobOnThreeNodes(true);
        JobEvacuation.Outcome o = new JobEvacuation(c, c, 50).predicted("hvs-n1", Duration.ofSeconds(60), 0.95);

        assertThat(o.allSafe()).as(String.join("\n", o.lines())).isTrue();
        assertThat(o.drained()).isTrue();
        assertThat(c.slurmCalls).contains(List.of("scontrol", "update", "nodename=hvs-n1", "state=drain",
                "reason=hpcvirt: predicted failure in 60s (confidence 0.95)"));
        assertThat(c.predictions).containsExactly("hvs-n1:hvs-n1");
        assertThat(c.vms.get("hvs-n1")).isEmpty();
        assertThat(c.vms.get("hvs-n3")).containsOnlyKeys("j5-hvs-n1-0");
        assertThat(o.moves()).singleElement().satisfies(m -> {
            assertThat(m.from()).isEqualTo("hvs-n1");
            assertThat(m.to()).isEqualTo("hvs-n3");
            assertThat(m.report().pauseMs()).isEqualTo(9);
        });
        Map<String, Object> spare = c.records.get("hvs-n3").get("5");
        assertThat(spare).containsEntry("role", "compute").containsEntry("vms", List.of("j5-hvs-n1-0")).containsEntry("node", "hvs-n3")
                .containsEntry("evacuatedFrom", "hvs-n1");
        assertThat(spare.get("labels")).isEqualTo(Map.of("job", "5", "node", "hvs-n3"));
        assertThat(c.records.get("hvs-n1").get("5")).containsEntry("vms", List.of()).containsEntry("evacuatedTo", "hvs-n3");
        assertThat(c.notes.get("hvs-n1")).singleElement().asString().contains("j5-hvs-n1-0 moved to spare hvs-n3", "hpcvirt: predicted failure");
        assertThat(c.notes.get("hvs-n3")).singleElement().asString().contains("arrived from hvs-n1");
        assertThat(o.lines()).anyMatch(l -> l.startsWith("job 5: j5-hvs-n1-0 live-migrated hvs-n1 -> hvs-n3 (spare of the job): guest paused 9 ms"));

        // the spare is used now: a prediction for the other node finds none left, so the job is checkpointed
        // (one set, by the job's first node) and requeued, and that node's record and event say so
        c.sinfo = "hvs-n1|drained|hpcvirt: predicted failure in 60s (confidence 0.95)\nhvs-n2|allocated|none\nhvs-n3|allocated|none\n";
        c.slurmCalls.clear();
        JobEvacuation.Outcome second = new JobEvacuation(c, c, 50).predicted("hvs-n2", Duration.ofSeconds(60), 1.0);
        assertThat(second.allSafe()).isTrue();
        assertThat(second.moves()).isEmpty();
        assertThat(c.checkpointSets).containsExactly("hvs-n1:5:hvs-n1,hvs-n2,hvs-n3:prediction");
        assertThat(c.slurmCalls).contains(List.of("scontrol", "requeue", "5"));
        assertThat(c.notes.get("hvs-n2")).singleElement().asString().contains(
                "no spare node left in its allocation (hvs-n3: already runs the job's VMs [j5-hvs-n1-0])",
                "job 5 set 1 taken", "the job requeued: it restarts from that set", "not on the drained hvs-n2");
        assertThat(c.records.get("hvs-n2").get("5").get("evacuation")).asString().contains("requeued=job 5 set 1");
    }

    @Test
    void withNoSpareAndNoCheckpointSetTheVmsStayAndTheRecordSaysWhy() {
        FakeCluster c = jobOnThreeNodes(true);
        c.sinfo = "hvs-n1|allocated|none\nhvs-n2|allocated|none\nhvs-n3|drained|hpcvirt: predicted failure in 5m (confidence 1.00)\n";
        c.failSets = true;
        JobEvacuation.Outcome o = new JobEvacuation(c, c, 50).predicted("hvs-n1", Duration.ofSeconds(30), 1.0);
        assertThat(o.allSafe()).isFalse();
        assertThat(c.vms.get("hvs-n1")).containsOnlyKeys("j5-hvs-n1-0");
        assertThat(c.slurmCalls).noneMatch(a -> a.contains("requeue"));
        assertThat(c.notes.get("hvs-n1")).singleElement().asString().contains("not evacuated from hvs-n1",
                "the checkpoint set failed (the store is full): its VMs [j5-hvs-n1-0] stay on hvs-n1");
    }

    @Test
    void aSpareThatIsDrainedOrPredictedFailingIsNotUsed() {
        FakeCluster c = jobOnThreeNodes(true);
        c.sinfo = "hvs-n1|allocated|none\nhvs-n2|allocated|none\nhvs-n3|drained|hpcvirt: predicted failure in 5m (confidence 1.00)\n";
        JobEvacuation.Outcome o = new JobEvacuation(c, c, 50).predicted("hvs-n1", Duration.ofSeconds(30), 1.0);
        assertThat(o.moves()).isEmpty();
        assertThat(c.vms.get("hvs-n1")).containsOnlyKeys("j5-hvs-n1-0");
        assertThat(o.lines()).anyMatch(l -> l.contains("no spare node left in its allocation (hvs-n3: drained (hpcvirt: predicted failure in 5m"));
        // the fallback instead: a checkpoint set and a requeue
        assertThat(o.allSafe()).isTrue();
        assertThat(c.checkpointSets).hasSize(1);
        assertThat(c.slurmCalls).contains(List.of("scontrol", "requeue", "5"));
    }

    @Test
    void aSpareWhoseDaemonDoesNotAnswerIsNotUsed() {
        FakeCluster c = jobOnThreeNodes(true);
        c.dead.add("hvs-n3");
        JobEvacuation.Outcome o = new JobEvacuation(c, c, 50).predicted("hvs-n1", Duration.ofSeconds(30), 1.0);
        assertThat(o.moves()).isEmpty();
        assertThat(o.lines()).anyMatch(l -> l.contains("hvs-n3: its daemon does not answer (connection refused by hvs-n3)"));
        assertThat(c.checkpointSets).hasSize(1);
    }

    @Test
    void aJobThatIsNotProactiveKeepsItsVmsAndSaysWhy() {
        FakeCluster c = jobOnThreeNodes(false);
        JobEvacuation.Outcome o = new JobEvacuation(c, c, 50).predicted("hvs-n1", Duration.ofSeconds(30), 1.0);
        assertThat(o.drained()).isTrue();
        assertThat(o.moves()).isEmpty();
        assertThat(c.notes.get("hvs-n1")).singleElement().asString().contains("ft.proactive: false");
    }

    @Test
    void anUntrustedPredictionDrainsNothingAndMovesNothing() {
        FakeCluster c = jobOnThreeNodes(true);
        JobEvacuation.Outcome o = new JobEvacuation(c, c, 50).predicted("hvs-n1", Duration.ofSeconds(30), 0.5);
        assertThat(o.drained()).isFalse();
        assertThat(o.allSafe()).isTrue();
        assertThat(c.slurmCalls).noneMatch(a -> a.get(0).equals("scontrol"));
        assertThat(c.predictions).as("the node's own executor still hears of it").containsExactly("hvs-n1:hvs-n1");
        assertThat(o.lines()).containsExactly("hvs-n1: predicted failure in 30s (confidence 0.50) is not trusted (below 0.90): node not drained, nothing moved");
    }

    @Test
    void anUnknownNodeAndAJobWithoutAVseAreSaidClearly() {
        FakeCluster c = jobOnThreeNodes(true);
        assertThatThrownBy(() -> new JobEvacuation(c, c, 50).predicted("hvs-n9", Duration.ofSeconds(30), 1.0))
                .isInstanceOf(HpcvirtException.class).hasMessage("unknown node hvs-n9: not in the cluster's node configuration (nodes: hvs-n1, hvs-n2, hvs-n3)");
        c.sinfo = "hvs-n1|allocated|none\nhvs-n2|allocated|none\n";
        assertThatThrownBy(() -> new JobEvacuation(c, c, 50).predicted("hvs-n3", Duration.ofSeconds(30), 1.0))
                .isInstanceOf(HpcvirtException.class).hasMessage("unknown node hvs-n3: Slurm does not know it (sinfo: hvs-n1, hvs-n2)");
        c.sinfo = ALL_UP;
        c.squeue = "5|RUNNING|hvs-n[1-3]\n6|RUNNING|hvs-n1\n";
        JobEvacuation.Outcome o = new JobEvacuation(c, c, 50).predicted("hvs-n1", Duration.ofSeconds(30), 1.0);
        assertThat(o.lines()).contains("job 6: has no VSE on hvs-n1: nothing to move");
        assertThat(o.allSafe()).isTrue();
    }
}
