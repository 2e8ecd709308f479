package org.hpcvirt.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.hpcvirt.api.VmEvent;
import org.hpcvirt.api.VmState;
import org.hpcvirt.vm.VmStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Spare nodes and predicted failures on the real three-node Slurm test cluster ({@link SlurmCluster}):
 * a VSE with {@code ft.spares: 1} is refused at submission on one node and deployed on a three-node
 * job with VMs on the first two nodes only; {@code hpcvirt slurm check} is clean; {@code hpcvirt slurm
 * predict hvs-n1} drains hvs-n1 in Slurm with a reason naming hpcvirt and the prediction and
 * live-migrates its VM to the job's spare hvs-n3, whose heartbeat sequence goes on; the check is clean
 * again and names planted disagreements (a VM of a job Slurm does not run, one on the drained node, one
 * outside its job's allocation) with a non-zero exit; the job goes on with its VMs and leaves
 * none behind. A trusted prediction posted to a node's daemon (as {@code hpcvirt ft predict} and
 * {@code POST /v1/ft/predictions} do) drains and moves the same way; an untrusted one is only noted.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SlurmEvacuationIT {
    private static final Duration JOB = Duration.ofSeconds(150);
    private static SlurmCluster cluster;
    private static String id;
    private static Path out;

    @BeforeAll
    static void up() {
        cluster = SlurmCluster.up(3);
    }

    @AfterAll
    static void down() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void aJobWithASpareNeedsTheNodeForItAndGetsNoVmThere() throws IOException {
        Path vse = Files.writeString(cluster.dir().resolve("spare.vse.yaml"),
                "image: default\nvm:\n  cpus: 1\n  memory: 128M\nft:\n  proactive: true\n  spares: 1\nlabels:\n  app: resilient\n");
        Path go = cluster.dir().resolve("go");
        Path script = Files.writeString(cluster.dir().resolve("work.sh"), "#!/bin/sh\n#SBATCH -N3\n"
                + "for i in $(seq 1 300); do [ -e " + go + " ] && break; sleep 1; done\n"
                + "hpcvirt job status\nhpcvirt job exec --all -- cat /proc/uptime\necho \"exec: exit $?\"\n");
        NetnsNodes.Result refused = cluster.slurm("hpcvirt", "submit", vse.toString(), "-N1", "--", script.toString());
        assertThat(refused.exitCode()).as(refused.output()).isEqualTo(2);
        assertThat(refused.output().strip()).isEqualTo("error: " + vse + ": line 7: field 'ft.spares': 1 spare node(s) need a job of at"
                + " least 2 nodes (-N2: -N counts the spares, which get no VM), not 1");

        out = cluster.dir().resolve("work.out");
        id = cluster.submit(vse, "-o", out.toString(), "--", script.toString());
        // each node's Prolog writes its deployment record after its VMs' first heartbeats: wait for all three
        await().atMost(JOB).pollInterval(Duration.ofMillis(500)).until(() -> running(1, 1) && running(2, 1)
                && Files.exists(cluster.home(1).resolve("vse/" + id + ".json"))
                && Files.exists(cluster.home(2).resolve("vse/" + id + ".json"))
                && Files.exists(cluster.home(3).resolve("vse/" + id + ".json")));
        assertThat(jobVms(3)).isEmpty();
        assertThat(Files.readString(cluster.home(3).resolve("vse/" + id + ".json")))
                .contains("\"role\" : \"spare\"", "\"spares\" : [ \"hvs-n3\" ]", "\"vms\" : [ ]");
        assertThat(Files.readString(cluster.home(1).resolve("vse/" + id + ".json")))
                .contains("\"role\" : \"compute\"", "\"spares\" : [ \"hvs-n3\" ]", "\"vms\" : [ \"j" + id + "-hvs-n1-0\" ]");
        // the Prolog logs its outcome after the daemon has written the record
        Path prolog = cluster.dir().resolve("log/prolog-hvs-n3.log");
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> assertThat(
                Files.exists(prolog) ? Files.readString(prolog) : "")
                .contains("hpcvirt prolog: job " + id + ": hvs-n3 is a spare node (ft.spares 1): no VM deployed"));

        NetnsNodes.Result list = cluster.slurm("hpcvirt", "vse", "list", "--cluster", "--as", "hvs-n1");
        assertThat(list.output()).as(list.output()).containsPattern(id + " +root +\\(spare\\) +hvs-n3");
        assertClean();
    }

    @Test
    @Order(2)
    void aTrustedPredictionDrainsTheNodeAndMovesItsVmToTheSpareWithoutLosingTheGuest() {
        String vm = "j" + id + "-hvs-n1-0";
        long before = cluster.client(1).status(vm).lastHeartbeatSeq();
        NetnsNodes.Result unknown = cluster.slurm("hpcvirt", "slurm", "predict", "hvs-n9", "--in", "60s", "--as", "hvs-n2");
        assertThat(unknown.exitCode()).isEqualTo(3);
        assertThat(unknown.output().strip()).isEqualTo("error: unknown node hvs-n9: not in the cluster's node configuration (nodes: hvs-n1, hvs-n2, hvs-n3)");

        NetnsNodes.Result p = cluster.slurm("hpcvirt", "slurm", "predict", "hvs-n1", "--in", "60s", "--confidence", "0.95", "--as", "hvs-n2");
        assertThat(p.exitCode()).as(p.output()).isZero();
        assertThat(p.output()).contains("hvs-n1: drained in Slurm, reason \"hpcvirt: predicted failure in 60s (confidence 0.95)\"",
                "job " + id + ": " + vm + " live-migrated hvs-n1 -> hvs-n3 (spare of the job)");

        String sinfo = cluster.slurm("sinfo", "-h", "-N", "-n", "hvs-n1", "-o", "%T|%E").output().strip();
        assertThat(sinfo).matches("drain(ing|ed)\\|hpcvirt: predicted failure in 60s \\(confidence 0\\.95\\)");
        assertThat(jobVms(1)).isEmpty();
        VmStatus moved = cluster.client(3).status(vm);
        assertThat(moved.state()).isEqualTo(VmState.RUNNING);
        // the same guest: its heartbeat sequence goes on from where it was (a restart would start again at 1)
        await().atMost(Duration.ofSeconds(30)).until(() -> cluster.client(3).status(vm).lastHeartbeatSeq() > before);
        assertThat(cluster.client(3).status(vm).lastHeartbeatSeq()).isGreaterThan(before);

        List<VmEvent> events = cluster.client(1).events(null, 0, 1000);
        assertThat(events).anyMatch(e -> e.type() == VmEvent.Type.FT_DECISION
                && e.message().equals("job " + id + ": " + vm + " moved to spare hvs-n3 (hpcvirt: predicted failure in 60s (confidence 0.95))"));
        assertClean();
    }

    @Test
    @Order(3)
    void theCheckNamesPlantedDisagreements() {
        // a VM of a job Slurm does not run, a VM of the job on the drained node after its evacuation, and a VM
        // named for another job (one without a VSE, on hvs-n3 only) on a node outside that job's allocation
        String other = cluster.sbatch("-N1", "-w", "hvs-n3", "-o", "/dev/null", "--wrap", "sleep 300");
        await().atMost(JOB).until(() -> cluster.slurm("squeue", "-h", "-j", other, "-o", "%T").output().strip().equals("RUNNING"));
        cluster.client(2).define("name: j999-hvs-n2-0\nbackend: qemu\ncpus: 1\nmemory: 128M\n", "planted", null);
        cluster.client(1).define("name: j" + id + "-hvs-n1-7\nbackend: qemu\ncpus: 1\nmemory: 128M\n", "planted", null);
        cluster.client(2).define("name: j" + other + "-hvs-n3-0\nbackend: qemu\ncpus: 1\nmemory: 128M\n", "planted", null);
        try {
            NetnsNodes.Result c = cluster.slurm("hpcvirt", "slurm", "check", "--as", "hvs-n1");
            assertThat(c.exitCode()).as(c.output()).isEqualTo(1);
            assertThat(c.output()).contains("hvs-n2: VM j999-hvs-n2-0 belongs to job 999, which Slurm does not run",
                    "hvs-n2: VM j" + other + "-hvs-n3-0 of job " + other + " is outside the job's allocation hvs-n3",
                    "but still has VM j" + id + "-hvs-n1-7 (",
                    "hvs-n1: VM j" + id + "-hvs-n1-7 of job " + id + " is not in the node's deployment record of the job ([])");
            NetnsNodes.Result json = cluster.slurm("hpcvirt", "slurm", "check", "--json", "--as", "hvs-n1");
            assertThat(json.exitCode()).isEqualTo(1);
            assertThat(json.output()).contains("\"clean\" : false", "\"kind\" : \"no-job\"", "\"kind\" : \"drained\"",
                    "\"kind\" : \"outside\"");
        } finally {
            cluster.client(2).destroy("j" + other + "-hvs-n3-0");
            cluster.slurm("scancel", other);
            cluster.client(2).destroy("j999-hvs-n2-0");
            cluster.client(1).destroy("j" + id + "-hvs-n1-7");
        }
        assertClean();
    }

    @Test
    @Order(4)
    void theJobGoesOnWithItsVmsAndLeavesNoneBehind() throws IOException {
        Files.writeString(cluster.dir().resolve("go"), "");
        assertThat(cluster.awaitEnd(id, JOB)).isEqualTo("COMPLETED");
        String output = Files.readString(out);
        assertThat(output).as(output).containsPattern("j" + id + "-hvs-n1-0 +hvs-n3 +RUNNING")
                .containsPattern("j" + id + "-hvs-n2-0 +hvs-n2 +RUNNING")
                .contains("[j" + id + "-hvs-n1-0] ", "[j" + id + "-hvs-n2-0] ", "exec: exit 0");
        for (int i = 1; i <= 3; i++) {
            assertThat(jobVms(i)).as("VMs of job " + id + " on " + SlurmCluster.node(i)).isEmpty();
            assertThat(cluster.home(i).resolve("vse/" + id + ".json")).doesNotExist();
        }
    }

    @Test
    @Order(5)
    void aTrustedPredictionPostedToANodesDaemonDrainsAndMovesTheSameWay() throws IOException {
        // hvs-n1 is drained since the prediction above: back to service for a new three-node job
        NetnsNodes.Result resume = cluster.slurm("scontrol", "update", "nodename=hvs-n1", "state=resume");
        assertThat(resume.exitCode()).as(resume.output()).isZero();
        id = cluster.sbatch("-N3", "--vse=" + cluster.dir().resolve("spare.vse.yaml"), "-o", "/dev/null", "--wrap", "sleep 300");
        await().atMost(JOB).pollInterval(Duration.ofMillis(500)).until(() -> running(1, 1) && running(2, 1)
                && java.util.stream.IntStream.rangeClosed(1, 3).allMatch(i -> Files.exists(cluster.home(i).resolve("vse/" + id + ".json"))));
        String vm = "j" + id + "-hvs-n2-0";
        long before = cluster.client(2).status(vm).lastHeartbeatSeq();

        // what 'hpcvirt ft predict' and POST /v1/ft/predictions send, here to hvs-n1's daemon as root (an administrator)
        com.fasterxml.jackson.databind.JsonNode weak = cluster.client(1).predict("hvs-n2", Duration.ofSeconds(60), 0.5, true);
        assertThat(weak.path("slurm").asText()).isEqualTo("not trusted (below 0.90): hvs-n2 not drained, nothing moved");
        com.fasterxml.jackson.databind.JsonNode answer = cluster.client(1).predict("hvs-n2", Duration.ofSeconds(60), 0.95, true);
        assertThat(answer.path("accepted").asBoolean()).isTrue();
        assertThat(answer.path("slurm").asText()).startsWith("evacuation of hvs-n2 started");
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(300)).until(() -> jobVms(2).isEmpty()
                && cluster.client(3).list().stream().anyMatch(v -> v.name().equals(vm) && v.state() == VmState.RUNNING));
        await().atMost(Duration.ofSeconds(30)).until(() -> cluster.client(3).status(vm).lastHeartbeatSeq() > before);
        String sinfo = cluster.slurm("sinfo", "-h", "-N", "-n", "hvs-n2", "-o", "%T|%E").output().strip();
        assertThat(sinfo).matches("drain(ing|ed)\\|hpcvirt: predicted failure in 60s \\(confidence 0\\.95\\)");
        Path log = cluster.dir().resolve("log/hpcvirtd-hvs-n1.log");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(Files.readString(log))
                .contains("hpcvirt: prediction: job " + id + ": " + vm + " live-migrated hvs-n2 -> hvs-n3 (spare of the job)",
                        "hpcvirt: prediction: hvs-n2: 1 VM(s) moved"));
        assertClean();
        cluster.slurm("scancel", id);
        assertThat(cluster.awaitEnd(id, JOB)).isEqualTo("CANCELLED");
        for (int i = 1; i <= 3; i++) {
            int n = i;
            await().atMost(Duration.ofSeconds(30)).until(() -> jobVms(n).isEmpty());
        }
    }

    private static void assertClean() {
        NetnsNodes.Result c = cluster.slurm("hpcvirt", "slurm", "check", "--as", "hvs-n1");
        assertThat(c.exitCode()).as(c.output()).isZero();
        assertThat(c.output().strip()).isEqualTo("clean: Slurm and hpcvirt agree on 3 node(s)");
    }

    private static List<VmStatus> jobVms(int node) {
        return cluster.jobVms(node, id);
    }

    private static boolean running(int node, int count) {
        List<VmStatus> vms = jobVms(node);
        return vms.size() == count && vms.stream().allMatch(v -> v.state() == VmState.RUNNING && v.lastHeartbeatAgeMs() >= 0);
    }
}
