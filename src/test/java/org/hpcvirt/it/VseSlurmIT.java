package org.hpcvirt.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.hpcvirt.api.VmState;
import org.hpcvirt.vm.VmStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Virtual system environments on the real two-node Slurm test cluster ({@link SlurmCluster}):
 * {@code hpcvirt submit} validates at submission and runs sbatch with {@code --vse}; the cluster's
 * Prolog ({@code hpcvirt slurm prolog}) boots one 128M VM per node owned by the job's user before
 * the script runs; the script's {@code hpcvirt job exec --all} reaches both VMs through the nodes'
 * daemons over mutual TLS; the Epilog leaves no VM at the job's end or after {@code scancel}; a VSE
 * over the policy's limits is refused on the terminal and never reaches a node; a VSE that reaches a
 * Prolog and fails there cancels the job with the reason and drains nothing; the time limit leaves
 * no VM either; a VM of a job Slurm no longer runs is removed by the next Prolog; under
 * {@code deployment: snapshot} the second job's VMs are restored from the first one's post-boot
 * checkpoint.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class VseSlurmIT {
    private static final Duration JOB = Duration.ofSeconds(90);
    private static SlurmCluster cluster;

    @BeforeAll
    static void up() {
        cluster = SlurmCluster.up(2);
    }

    @AfterAll
    static void down() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void aTwoNodeVseJobRunsItsCommandInBothVmsAndLeavesNoVmBehind() throws IOException {
        Path vse = Files.writeString(cluster.dir().resolve("hello.vse.yaml"),
                "image: default\nvm:\n  cpus: 1\n  memory: 128M\nlabels:\n  app: hello\n");
        Path script = Files.writeString(cluster.dir().resolve("hello.sh"), """
                #!/bin/sh
                echo "script on $(hostname)"
                hpcvirt job exec --all -- uname -r
                echo "all: exit $?"
                hpcvirt job exec --node hvs-n2 -- sh -c 'echo "argv: [$0] [$1]"; exit 3' "a b" 'c  d'
                echo "n2: exit $?"
                """);
        // a VM of a job that Slurm does not run (its Epilog never ran here): the next Prolog removes it
        cluster.client(1).define("name: j999-hvs-n1-0\nbackend: qemu\ncpus: 1\nmemory: 128M\n", "orphan", null);
        Path out = cluster.dir().resolve("hello.out");
        String id = cluster.submit(vse, "-N2", "-o", out.toString(), "--", script.toString());
        assertThat(cluster.awaitEnd(id, JOB)).as(cluster.hookLogs(2)).isEqualTo("COMPLETED");

        String output = Files.readString(out);
        String kernel = "[0-9]+\\.[0-9]+\\.[0-9]+-[0-9]+-cloud-amd64";
        assertThat(output).as(output).contains("script on hvs-n1", "all: exit 0", "[j" + id + "-hvs-n2-0] argv: [a b] [c  d]", "n2: exit 3");
        assertThat(output.lines().filter(l -> l.matches("\\[j" + id + "-hvs-n1-0\\] " + kernel))).as(output).hasSize(1);
        assertThat(output.lines().filter(l -> l.matches("\\[j" + id + "-hvs-n2-0\\] " + kernel))).as(output).hasSize(1);
        // the Prolog deployed as the job's user; the Epilog (done before the job left COMPLETING) destroyed both VMs
        for (int i = 1; i <= 2; i++) {
            assertThat(cluster.jobVms(i, id)).as("VMs of job " + id + " on " + SlurmCluster.node(i)).isEmpty();
            assertThat(cluster.home(i).resolve("vse/" + id + ".json")).doesNotExist();
        }
        assertThat(Files.readString(cluster.dir().resolve("log/prolog-hvs-n1.log")))
                .contains("hpcvirt: destroyed j999-hvs-n1-0: Slurm no longer runs job 999 on hvs-n1")
                .contains("hpcvirt prolog: job " + id + ": 1 VM(s) running on hvs-n1 (cold boot): j" + id + "-hvs-n1-0");
        assertThat(cluster.jobVms(1, "999")).isEmpty();
    }

    @Test
    @Order(2)
    void scancelLeavesNoVmOnEitherNode() throws IOException {
        // two VMs per node, booted side by side
        Path vse = Files.writeString(cluster.dir().resolve("long.vse.yaml"), "image: default\nvm:\n  memory: 128M\nvmsPerNode: 2\n");
        Path script = Files.writeString(cluster.dir().resolve("long.sh"), "#!/bin/sh\nsleep 300\n");
        String id = cluster.submit(vse, "-N2", "-o", "/dev/null", "--", script.toString());
        // the Prolog writes the deployment record once the VMs' first heartbeats arrived
        await().atMost(JOB).pollInterval(Duration.ofMillis(300)).until(() -> running(1, id, 2) && running(2, id, 2)
                && Files.exists(cluster.home(1).resolve("vse/" + id + ".json")) && Files.exists(cluster.home(2).resolve("vse/" + id + ".json")));
        for (int i = 1; i <= 2; i++) {
            assertThat(cluster.jobVms(i, id)).extracting(VmStatus::name)
                    .containsExactlyInAnyOrder("j" + id + "-hvs-n" + i + "-0", "j" + id + "-hvs-n" + i + "-1");
            VmStatus vm = cluster.jobVms(i, id).get(0);
            assertThat(vm.owner()).isEqualTo("root");
            assertThat(vm.memoryBytes()).isEqualTo(128L << 20);
            assertThat(Files.readString(cluster.home(i).resolve("vse/" + id + ".json")))
                    .contains("\"job\" : \"" + id + "\"", "\"user\" : \"root\"", "\"node\" : \"" + SlurmCluster.node(i) + "\"");
        }
        NetnsNodes.Result list = cluster.slurm("hpcvirt", "vse", "list", "--cluster", "--as", "hvs-n1");
        assertThat(list.output()).as(list.output()).contains("j" + id + "-hvs-n1-0", "j" + id + "-hvs-n2-1");

        NetnsNodes.Result cancel = cluster.slurm("scancel", id);
        assertThat(cancel.exitCode()).as(cancel.output()).isZero();
        assertThat(cluster.awaitEnd(id, JOB)).isEqualTo("CANCELLED");
        for (int i = 1; i <= 2; i++) {
            assertThat(cluster.jobVms(i, id)).as("VMs of job " + id + " on " + SlurmCluster.node(i) + " after scancel").isEmpty();
        }
        assertThat(cluster.processes()).noneMatch(p -> p.contains("qemu-system"));
    }

    @Test
    @Order(3)
    void aVseOverTheLimitsIsRefusedAtSubmissionAndNeverReachesANode() throws IOException {
        Path vse = Files.writeString(cluster.dir().resolve("big.vse.yaml"), "image: default\nvm:\n  cpus: 1\n  memory: 4G\n");
        long prologs = prologRecords();
        NetnsNodes.Result r = cluster.slurm("hpcvirt", "submit", vse.toString(), "-N2", "--", "/bin/true");
        assertThat(r.exitCode()).as(r.output()).isEqualTo(2);
        assertThat(r.output().strip()).isEqualTo("error: " + vse + ": line 4: field 'vm.memory': 4G is above the maximum 512M set by admin (limits.memoryPerVm)");
        // plain sbatch --vse: the SPANK plugin runs the same check (check=hpcvirt) on the user's terminal
        NetnsNodes.Result plain = cluster.slurm("sbatch", "-N2", "--vse=" + vse, "--wrap", "/bin/true");
        assertThat(plain.exitCode()).as(plain.output()).isNotZero();
        assertThat(plain.output()).as(plain.output())
                .contains("error: " + vse + ": line 4: field 'vm.memory': 4G is above the maximum 512M set by admin (limits.memoryPerVm)")
                .contains("--vse: " + vse + " refused by the centre's policy");
        assertThat(cluster.slurm("squeue", "-h", "--states=all").output()).doesNotContain("true");
        assertThat(prologRecords()).isEqualTo(prologs);
        assertThat(cluster.jobVms(1, null)).isEmpty();
        assertThat(cluster.jobVms(2, null)).isEmpty();
    }

    @Test
    @Order(4)
    void aDeploymentThatFailsInThePrologCancelsTheJobWithTheReasonAndDrainsNothing() throws IOException {
        // the file passes the check at submission and is changed while the job waits: the Prolog's own check refuses it
        Path vse = Files.writeString(cluster.dir().resolve("plain.vse.yaml"), "image: default\nvm:\n  memory: 128M\n");
        Path out = cluster.dir().resolve("plain.out");
        String id = cluster.sbatch("-N2", "--hold", "--vse=" + vse, "-o", out.toString(), "--wrap", "echo ran");
        Files.writeString(vse, "image: default\nvm:\n  memory: 4G\n");
        NetnsNodes.Result release = cluster.slurm("scontrol", "release", id);
        assertThat(release.exitCode()).as(release.output()).isZero();
        assertThat(cluster.awaitEnd(id, JOB)).isEqualTo("CANCELLED");
        String job = cluster.slurm("scontrol", "show", "job", id).output();
        assertThat(job).as(job).contains("Reason=Prolog")
                .containsPattern("Comment=hpcvirt: deploy failed on hvs-n[12]: " + Pattern.quote(vse + ": line 3: field 'vm.memory': 4G is above"));
        assertThat(out).doesNotExist();
        NetnsNodes.Result sinfo = cluster.slurm("sinfo", "-h", "-N", "-o", "%N %t");
        assertThat(sinfo.output().lines()).containsExactly("hvs-n1 idle", "hvs-n2 idle");
        assertThat(cluster.jobVms(1, id)).isEmpty();
        assertThat(cluster.jobVms(2, id)).isEmpty();
    }

    @Test
    @Order(5)
    void theTimeLimitLeavesNoVmOnEitherNode() throws IOException {
        Path vse = Files.writeString(cluster.dir().resolve("timed.vse.yaml"), "image: default\nvm:\n  memory: 128M\n");
        Path script = Files.writeString(cluster.dir().resolve("timed.sh"), "#!/bin/sh\nsleep 300\n");
        String id = cluster.submit(vse, "-N2", "--time=1", "-o", "/dev/null", "--", script.toString());
        await().atMost(JOB).pollInterval(Duration.ofMillis(300)).until(() -> running(1, id) && running(2, id));
        // Slurm's time limits count in whole minutes; the administrator's shortening of a running job's end
        // time is the same limit, reached sooner (slurmctld enforces limits at its 30-second check)
        String end = java.time.LocalDateTime.now().plusSeconds(2).withNano(0).toString();
        NetnsNodes.Result shortened = cluster.slurm("scontrol", "update", "JobId=" + id, "EndTime=" + end);
        assertThat(shortened.exitCode()).as(shortened.output()).isZero();
        assertThat(cluster.awaitEnd(id, Duration.ofSeconds(180))).isEqualTo("TIMEOUT");
        assertThat(Files.readString(cluster.dir().resolve("log/slurmctld.log"))).contains("Time limit exhausted for JobId=" + id);
        for (int i = 1; i <= 2; i++) {
            assertThat(cluster.jobVms(i, id)).as("VMs of job " + id + " on " + SlurmCluster.node(i) + " after the time limit").isEmpty();
        }
    }

    @Test
    @Order(6)
    void underSnapshotDeploymentTheNextJobsVmsAreRestoredFromAPostBootCheckpoint() throws IOException {
        Path policy = cluster.dir().resolve("etc/vse-policy.yaml");
        Files.writeString(policy, Files.readString(policy) + "deployment: snapshot\n");
        Path vse = Files.writeString(cluster.dir().resolve("warm.vse.yaml"), "image: default\nvm:\n  memory: 128M\n");
        Path script = Files.writeString(cluster.dir().resolve("warm.sh"), "#!/bin/sh\nhpcvirt job exec --all -- echo up\n");
        String first = cluster.submit(vse, "-N2", "-o", cluster.dir().resolve("warm1.out").toString(), "--", script.toString());
        assertThat(cluster.awaitEnd(first, JOB)).as(cluster.hookLogs(2)).isEqualTo("COMPLETED");
        String second = cluster.submit(vse, "-N2", "-o", cluster.dir().resolve("warm2.out").toString(), "--", script.toString());
        assertThat(cluster.awaitEnd(second, JOB)).as(cluster.hookLogs(2)).isEqualTo("COMPLETED");
        assertThat(Files.readString(cluster.dir().resolve("warm2.out")))
                .contains("[j" + second + "-hvs-n1-0] up", "[j" + second + "-hvs-n2-0] up");
        for (int i = 1; i <= 2; i++) {
            String log = Files.readString(cluster.dir().resolve("log/prolog-" + SlurmCluster.node(i) + ".log"));
            assertThat(log).containsPattern("job " + first + ": 1 VM\\(s\\) running on hvs-n" + i + " \\(cold boot; post-boot checkpoint \\S+ taken");
            assertThat(log).containsPattern("job " + second + ": 1 VM\\(s\\) running on hvs-n" + i + " \\(restored from post-boot checkpoint ");
            assertThat(cluster.jobVms(i, second)).isEmpty();
        }
    }

    private static boolean running(int node, String id) {
        return running(node, id, 1);
    }

    private static boolean running(int node, String id, int count) {
        List<VmStatus> vms = cluster.jobVms(node, id);
        return vms.size() == count && vms.stream().allMatch(v -> v.state() == VmState.RUNNING);
    }

    private static long prologRecords() throws IOException {
        try (var s = Files.list(cluster.dir().resolve("record"))) {
            return s.filter(p -> p.getFileName().toString().startsWith("prolog.")).count();
        }
    }
}
