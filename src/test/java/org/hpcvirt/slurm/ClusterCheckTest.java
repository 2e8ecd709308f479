package org.hpcvirt.slurm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.hpcvirt.api.VmState;
import org.junit.jupiter.api.Test;

/** {@code hpcvirt slurm check}'s comparison of Slurm's view with the daemons', one disagreement of each kind. */
class ClusterCheckTest {
    private static FakeCluster cluster() {
        FakeCluster c = new FakeCluster("hvs-n1", "hvs-n2", "hvs-n3");
        List<String> spares = List.of("hvs-n3");
        c.deployed("5", "hvs-n1", List.of("j5-hvs-n1-0"), spares, true);
        c.deployed("5", "hvs-n2", List.of("j5-hvs-n2-0"), spares, true);
        c.deployed("5", "hvs-n3", List.of(), spares, true);
        c.sinfo = "hvs-n1|allocated|none\nhvs-n2|allocated|none\nhvs-n3|allocated|none\nhvs-n4|idle|none\n";
        c.squeue = "5|RUNNING|hvs-n[1-3]\n";
        return c;
    }

    private static List<String> problems(FakeCluster c) {
        return ClusterCheck.run(c, c).stream().map(ClusterCheck.Problem::message).toList();
    }

    @Test
    void aClusterWhereSlurmAndTheDaemonsAgreeIsClean() {
        assertThat(problems(cluster())).isEmpty();
    }

    @Test
    void theSlurmViewIsReadFromSinfoAndSqueue() {
        SlurmView v = SlurmView.parse("hvs-n1|drained|hpcvirt: x\nhvs-n2|idle|none\n", "5|RUNNING|hvs-n[1-2]\n7|COMPLETING|hvs-n2\n");
        assertThat(v.nodes().get("hvs-n1").drained()).isTrue();
        assertThat(v.nodes().get("hvs-n1").describe()).isEqualTo("drained (hpcvirt: x)");
        assertThat(v.nodes().get("hvs-n2").unavailable()).isFalse();
        assertThat(v.jobs().get("5").nodes()).containsExactly("hvs-n1", "hvs-n2");
        assertThat(v.jobsOn("hvs-n2")).extracting(SlurmView.Job::id).containsExactly("5", "7");
    }

    @Test
    void everyKindOfDisagreementIsOneLine() {
        FakeCluster c = cluster();
        c.vms.get("hvs-n2").put("j999-hvs-n2-0", VmState.STOPPED);
        c.squeue = "5|RUNNING|hvs-n[1-2]\n";
        assertThat(problems(c)).containsExactly(
                "hvs-n2: VM j999-hvs-n2-0 belongs to job 999, which Slurm does not run",
                "hvs-n3: deployment record of job 5, whose allocation hvs-n1,hvs-n2 does not include this node");

        c = cluster();
        c.vms.get("hvs-n3").put("j5-hvs-n1-0", VmState.RUNNING);
        c.vms.get("hvs-n1").put("j5-hvs-n1-0", VmState.CRASHED);
        c.vms.get("hvs-n2").remove("j5-hvs-n2-0");
        c.squeue = "5|RUNNING|hvs-n[1-3]\n";
        assertThat(problems(c)).containsExactly(
                "job 5: VM j5-hvs-n1-0 on hvs-n1 is CRASHED, not running",
                "job 5: VM j5-hvs-n2-0 of the deployment record on hvs-n2 is not there",
                "hvs-n3: VM j5-hvs-n1-0 of job 5 is not in the node's deployment record of the job ([])");

        c = cluster();
        c.sinfo = "hvs-n1|drained|hpcvirt: predicted failure in 1m (confidence 1.00)\nhvs-n2|allocated|none\nhvs-n3|allocated|none\n";
        c.records.get("hvs-n2").remove("5");
        c.dead.add("hvs-n3");
        assertThat(problems(c)).containsExactly(
                "hvs-n1: drained (hpcvirt: predicted failure in 1m (confidence 1.00)), but still has VM j5-hvs-n1-0 (RUNNING) of job 5",
                "hvs-n3: the hpcvirt daemon does not answer: connection refused by hvs-n3",
                "job 5: no deployment record on hvs-n2 (the job has a VSE: records on hvs-n1)");

        // a dead node that Slurm has down as well is no disagreement, as long as no job is placed on it
        c = cluster();
        c.sinfo = "hvs-n1|allocated|none\nhvs-n2|allocated|none\nhvs-n3|down*|Not responding\n";
        c.squeue = "5|RUNNING|hvs-n[1-2]\n";
        c.records.get("hvs-n3").remove("5");
        c.dead.add("hvs-n3");
        assertThat(problems(c)).isEmpty();
        c.sinfo = "hvs-n1|allocated|none\nhvs-n2|allocated|none\nhvs-n3|idle*|none\n";
        assertThat(problems(c)).isEmpty();
    }

    @Test
    void aVmOutsideItsJobsAllocationAndANodeSlurmDoesNotKnowAreReported() {
        FakeCluster c = new FakeCluster("hvs-n1", "hvs-n2", "hvs-n9");
        c.deployed("5", "hvs-n1", List.of("j5-hvs-n1-0"), List.of(), true);
        c.vms.get("hvs-n2").put("j5-hvs-n1-1", VmState.RUNNING);
        c.sinfo = "hvs-n1|allocated|none\nhvs-n2|idle|none\n";
        c.squeue = "5|RUNNING|hvs-n1\n";
        assertThat(problems(c)).containsExactly(
                "hvs-n2: VM j5-hvs-n1-1 of job 5 is outside the job's allocation hvs-n1",
                "hvs-n9: in the cluster's node configuration, but Slurm does not know it");
    }
}
