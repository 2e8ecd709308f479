package org.hpcvirt.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The real Slurm 22.05 test cluster of {@link SlurmCluster}: two compute nodes come up idle with an
 * answering hpcvirt daemon each; a two-node batch job runs on both, its Prolog and Epilog see the
 * job's variables and the {@code --vse} file of the SPANK plugin; a missing VSE file is refused by
 * sbatch; a teardown while a two-node job runs leaves nothing of the cluster (no process, namespace
 * or directory). Steps run in order; the last one tears
 * the cluster down.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SlurmClusterIT {
    private static final Duration JOB = Duration.ofSeconds(30);
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
    void bothNodesAreIdleAndSbatchOffersTheVseOption() {
        NetnsNodes.Result sinfo = cluster.slurm("sinfo", "-h", "-N", "-o", "%N %t %P");
        assertThat(sinfo.exitCode()).as(sinfo.output()).isZero();
        assertThat(sinfo.output().lines()).containsExactly("hvs-n1 idle hvs*", "hvs-n2 idle hvs*");
        NetnsNodes.Result help = cluster.slurm("sbatch", "--help");
        assertThat(help.output()).contains("--vse=FILE");
    }

    @Test
    @Order(2)
    void eachNodesDaemonAnswersUnderItsNodeName() throws IOException {
        for (int i = 1; i <= 2; i++) {
            var node = cluster.client(i).node();
            assertThat(node.path("tcp").path("node").asText()).isEqualTo(SlurmCluster.node(i));
            assertThat(node.path("tcp").path("url").asText()).isEqualTo("https://" + SlurmCluster.address(i) + ":7700");
            assertThat(node.path("home").asText()).isEqualTo(cluster.home(i).toString());
            assertThat(cluster.home(i).resolve("images")).isSymbolicLink();
            assertThat(cluster.home(i).resolve("images").toRealPath().toString()).isEqualTo(cluster.images().toString());
        }
        // node 2 reaches node 1's daemon over the cluster's network (its TLS listener answers)
        NetnsNodes.Result r = cluster.onNode(2, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10",
                "--cacert", cluster.dir().resolve("cluster/ca.pem").toString(), "https://" + SlurmCluster.address(1) + ":7700/v1/node");
        assertThat(r.output()).as("curl from hvs-n2 to hvs-n1's daemon").isEqualTo("401");
    }

    @Test
    @Order(3)
    void aTwoNodeJobRunsOnBothNodesAndItsPrologSeesTheJobAndTheVseFile() throws IOException {
        Path vse = Files.writeString(cluster.dir().resolve("job.vse.yaml"), "image: default\n");
        Path script = Files.writeString(cluster.dir().resolve("job.sh"), "#!/bin/sh\necho \"batch on $(hostname)\"\nsrun -l hostname\n");
        Path out = cluster.dir().resolve("job.out");
        String id = cluster.sbatch("-N2", "--vse=" + vse, "-o", out.toString(), script.toString());
        assertThat(cluster.awaitEnd(id, JOB)).isEqualTo("COMPLETED");

        String output = Files.readString(out);
        assertThat(output).contains("batch on hvs-n1", "0: hvs-n1", "1: hvs-n2");
        for (int i = 1; i <= 2; i++) {
            String node = SlurmCluster.node(i);
            Map<String, String> prolog = cluster.hookEnvironment("prolog", id, node);
            assertThat(prolog).as("Prolog of job " + id + " on " + node)
                    .containsEntry("SLURM_JOB_ID", id)
                    .containsEntry("SLURM_JOB_USER", "root")
                    .containsEntry("SLURM_JOB_UID", "0")
                    .containsEntry("SLURM_NODELIST", "hvs-n[1-2]")
                    .containsEntry("SLURMD_NODENAME", node)
                    .containsEntry("SLURM_JOB_RESTART_COUNT", "0")
                    .containsEntry("SLURM_SCRIPT_CONTEXT", "prolog_slurmd")
                    .containsEntry("SPANK_HPCVIRT_VSE", vse.toString());
            Map<String, String> epilog = cluster.hookEnvironment("epilog", id, node);
            assertThat(epilog).as("Epilog of job " + id + " on " + node)
                    .containsEntry("SLURM_JOB_ID", id)
                    .containsEntry("SLURM_JOB_EXIT_CODE", "0")
                    .containsEntry("SPANK_HPCVIRT_VSE", vse.toString());
        }
    }

    @Test
    @Order(4)
    void aMissingVseFileIsRefusedBySbatchAndNoJobIsQueued() {
        NetnsNodes.Result r = cluster.slurm("sbatch", "-N2", "--vse=/nonexistent/job.yaml", "--wrap", "true");
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.output()).contains("--vse: /nonexistent/job.yaml: No such file or directory");
        assertThat(cluster.slurm("squeue", "-h").output()).isBlank();
    }

    @Test
    @Order(5)
    void aTeardownWithAJobStillRunningLeavesNothingOfTheCluster() {
        Path dir = cluster.dir();
        String id = cluster.sbatch("-N2", "-o", "/dev/null", "--wrap", "srun sleep 300");
        await().atMost(JOB).pollInterval(Duration.ofMillis(200))
                .until(() -> cluster.processes().stream().filter(p -> p.endsWith(" sleep 300")).count() == 2);
        assertThat(cluster.slurm("squeue", "-h", "--jobs=" + id, "-o", "%T").output().trim()).isEqualTo("RUNNING");
        cluster.close();
        assertThat(cluster.processes()).isEmpty();
        assertThat(SlurmCluster.namespaces()).isEmpty();
        assertThat(dir).doesNotExist();
        cluster = null;
    }
}
