package org.hpcvirt.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.hpcvirt.api.Operation;
import org.hpcvirt.api.VmState;
import org.hpcvirt.vm.VmStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * {@code network: private} on the real two-node Slurm test cluster ({@link SlurmCluster}): the
 * Prolog makes the job's bridge and VXLAN device on both nodes and a tap per VM; a server in the VM
 * on node 2 (busybox httpd) is reached by name from the VM on node 1 (ping, wget) through
 * {@code hpcvirt job exec}; after the job's end and after {@code scancel} no bridge, VXLAN device or
 * tap of the job is left in either node's namespace, and no VM; the next Prolog removes the network
 * of a job Slurm no longer runs; a job without the network has no NIC; a deployment that fails after
 * it made the network leaves none on either node; under {@code deployment: snapshot} VMs restored from one post-boot checkpoint get their own
 * tap, MAC and address and reach each other the same way.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class JobNetworkIT {
    private static final Duration JOB = Duration.ofSeconds(150);
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

    /** Node 2's VM serves a page and an 8 MiB file; node 1's VM pings it and fetches both by name. */
    private static final String CLIENT_SERVER = """
            #!/bin/sh
            S=j${SLURM_JOB_ID}-hvs-n2-0
            hpcvirt job exec --node hvs-n2 -- sh -c 'mkdir -p /tmp/www && echo "payload from $(hostname)" > /tmp/www/hello \
              && dd if=/dev/zero of=/tmp/www/big bs=1M count=8 2>/dev/null && httpd -p 8080 -h /tmp/www && echo "server up"'
            hpcvirt job exec --node hvs-n1 -- sh -c "ping -c 3 $S 2>&1 | tail -2; wget -q -O - http://$S:8080/hello"
            echo "client: exit $?"
            hpcvirt job exec --node hvs-n1 -- sh -c "time wget -q -O /dev/null http://$S:8080/big 2>&1" 2>&1
            hpcvirt job exec --all -- cat /etc/hosts
            """;

    @Test
    @Order(1)
    void theVmOnNodeOneReachesTheServerOnNodeTwoByNameAndNothingIsLeftAfterTheJob() throws IOException {
        Path vse = Files.writeString(cluster.dir().resolve("net.vse.yaml"), "image: default\nvm:\n  memory: 128M\nnetwork: private\n");
        Path script = Files.writeString(cluster.dir().resolve("net.sh"), CLIENT_SERVER);
        // the network of a job Slurm does not run (its Epilog never ran here): the next Prolog removes it
        cluster.client(1).execute(new Operation.CreateNetwork("j999", 999, SlurmCluster.address(1), List.of(SlurmCluster.address(2)),
                null), Map.class);
        assertThat(cluster.onNode(1, "ip", "link", "show", "dev", "hvb-j999").exitCode()).isZero();
        Path out = cluster.dir().resolve("net.out");
        String id = cluster.submit(vse, "-N2", "-o", out.toString(), "--", script.toString());
        assertThat(cluster.awaitEnd(id, JOB)).as(cluster.hookLogs(2)).isEqualTo("COMPLETED");
        String output = Files.readString(out);
        System.out.println("job " + id + " output:\n" + output);
        assertThat(output).as(output).contains("[j" + id + "-hvs-n2-0] server up",
                "[j" + id + "-hvs-n1-0] payload from j" + id + "-hvs-n2-0", "client: exit 0",
                "[j" + id + "-hvs-n1-0] 3 packets transmitted, 3 packets received",
                "[j" + id + "-hvs-n2-0] 10.200.100.1 j" + id + "-hvs-n1-0", "[j" + id + "-hvs-n1-0] 10.200.100.2 j" + id + "-hvs-n2-0");
        assertThat(Files.readString(cluster.dir().resolve("log/prolog-hvs-n1.log")))
                .contains("hpcvirt: removed private network j999: Slurm no longer runs job 999 here")
                .contains("job " + id + ": 1 VM(s) running on hvs-n1 (cold boot; private network j" + id + ")");
        assertThat(cluster.onNode(1, "ip", "link").output()).doesNotContain("hvb-j999", "hvx-j999");
        assertThat(Files.readString(cluster.dir().resolve("log/epilog-hvs-n2.log")))
                .contains("job " + id + ": 1 VM(s) destroyed on hvs-n2; private network j" + id + " removed");
        assertNothingLeft(id);
    }

    @Test
    @Order(2)
    void scancelRemovesTheNetworkOnBothNodes() {
        Path vse = write("netlong.vse.yaml", "image: default\nvm:\n  memory: 128M\nnetwork: private\n");
        Path script = write("netlong.sh", "#!/bin/sh\nsleep 300\n");
        String id = cluster.submit(vse, "-N2", "-o", "/dev/null", "--", script.toString());
        await().atMost(JOB).pollInterval(Duration.ofMillis(300)).until(() -> running(1, id) && running(2, id));
        for (int i = 1; i <= 2; i++) {
            String links = cluster.onNode(i, "ip", "-d", "link").output();
            assertThat(links).as(links).contains("hvb-j" + id + ":", "hvx-j" + id + ":", "vxlan id " + vniOf(id) + " local "
                    + SlurmCluster.address(i) + " ", "hvt-");
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> nets = cluster.client(i).execute(new Operation.ListNetworks(), List.class);
            assertThat(nets).hasSize(1);
            assertThat(nets.get(0)).containsEntry("name", "j" + id).containsEntry("owner", "root")
                    .containsEntry("peers", List.of(SlurmCluster.address(3 - i)));
            assertThat((List<?>) nets.get(0).get("taps")).hasSize(1);
            // the host has no address on the job's segment, not even an IPv6 link-local one
            String addresses = cluster.onNode(i, "ip", "addr", "show", "master", "hvb-j" + id).output()
                    + cluster.onNode(i, "ip", "addr", "show", "dev", "hvb-j" + id).output();
            assertThat(addresses).as(addresses).doesNotContain("inet");
            System.out.println(SlurmCluster.namespace(i) + " during job " + id + ":\n" + links
                    + cluster.onNode(i, "bridge", "fdb", "show", "dev", "hvx-j" + id).output());
        }
        assertThat(cluster.slurm("scancel", id).exitCode()).isZero();
        assertThat(cluster.awaitEnd(id, JOB)).isEqualTo("CANCELLED");
        assertNothingLeft(id);
    }

    @Test
    @Order(3)
    void aJobWithoutThePrivateNetworkHasNoNic() throws IOException {
        Path vse = write("nonet.vse.yaml", "image: default\nvm:\n  memory: 128M\n");
        Path script = write("nonet.sh", "#!/bin/sh\nhpcvirt job exec --all -- ls /sys/class/net\n");
        Path out = cluster.dir().resolve("nonet.out");
        String id = cluster.submit(vse, "-N2", "-o", out.toString(), "--", script.toString());
        assertThat(cluster.awaitEnd(id, JOB)).as(cluster.hookLogs(2)).isEqualTo("COMPLETED");
        String output = Files.readString(out);
        assertThat(output.lines().filter(l -> l.startsWith("[j" + id + "-"))).as(output)
                .containsExactlyInAnyOrder("[j" + id + "-hvs-n1-0] lo", "[j" + id + "-hvs-n2-0] lo");
        assertNothingLeft(id);
    }

    @Test
    @Order(4)
    void aDeploymentThatFailsAfterItMadeTheNetworkLeavesNoNetworkOnEitherNode() throws IOException {
        // the next job's second VM name is taken on hvs-n1: its Prolog makes the network and VM 0, then fails
        String probe = cluster.sbatch("--hold", "-o", "/dev/null", "--wrap", "true");
        assertThat(cluster.slurm("scancel", probe).exitCode()).isZero();
        String next = Long.toString(Long.parseLong(probe) + 1);
        cluster.client(1).define("name: j" + next + "-hvs-n1-1\nbackend: qemu\ncpus: 1\nmemory: 128M\n", "in the way", null);
        Path vse = write("netfail.vse.yaml", "image: default\nvm:\n  memory: 128M\nvmsPerNode: 2\nnetwork: private\n");
        String id = cluster.sbatch("-N2", "--vse=" + vse, "-o", "/dev/null", "--wrap", "sleep 300");
        assertThat(id).isEqualTo(next);
        assertThat(cluster.awaitEnd(id, JOB)).as(cluster.hookLogs(2)).isEqualTo("CANCELLED");
        String job = cluster.slurm("scontrol", "show", "job", id).output();
        assertThat(job).as(job).containsPattern("Comment=hpcvirt: deploy failed on hvs-n1: .*j" + id + "-hvs-n1-1");
        assertThat(Files.readString(cluster.dir().resolve("log/prolog-hvs-n1.log")))
                .contains("job " + id + ": deployment failed on hvs-n1, job cancelled");
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300)).untilAsserted(() -> {
            for (int i = 1; i <= 2; i++) {
                assertThat(cluster.onNode(i, "ip", "link").output()).as("links of node " + i)
                        .doesNotContain("hvb-j" + id + ":", "hvx-j" + id + ":", "hvt-");
            }
            assertThat(cluster.client(2).list()).noneMatch(v -> v.name().startsWith("j" + id + "-"));
            assertThat(cluster.client(1).list()).extracting(VmStatus::name).doesNotContain("j" + id + "-hvs-n1-0");
        });
        try {
            cluster.client(1).destroy("j" + id + "-hvs-n1-1");
        } catch (org.hpcvirt.api.HpcvirtException e) {
            assertThat(e.code()).as("only an Epilog may have removed it").isEqualTo(org.hpcvirt.api.ErrorCode.NOT_FOUND);
        }
    }

    @Test
    @Order(5)
    void vmsRestoredFromOnePostBootCheckpointGetTheirOwnAddressesAndReachEachOther() throws IOException {
        Path policy = cluster.dir().resolve("etc/vse-policy.yaml");
        Files.writeString(policy, Files.readString(policy) + "deployment: snapshot\n");
        Path vse = write("warmnet.vse.yaml", "image: default\nvm:\n  memory: 128M\nnetwork: private\n");
        Path script = write("warmnet.sh", CLIENT_SERVER);
        String first = cluster.submit(vse, "-N2", "-o", cluster.dir().resolve("warmnet1.out").toString(), "--", script.toString());
        assertThat(cluster.awaitEnd(first, JOB)).as(cluster.hookLogs(2)).isEqualTo("COMPLETED");
        String second = cluster.submit(vse, "-N2", "-o", cluster.dir().resolve("warmnet2.out").toString(), "--", script.toString());
        assertThat(cluster.awaitEnd(second, JOB)).as(cluster.hookLogs(2)).isEqualTo("COMPLETED");
        String output = Files.readString(cluster.dir().resolve("warmnet2.out"));
        System.out.println("job " + second + " output:\n" + output);
        assertThat(output).as(output).contains("[j" + second + "-hvs-n1-0] payload from j" + second + "-hvs-n2-0", "client: exit 0",
                "[j" + second + "-hvs-n1-0] 3 packets transmitted, 3 packets received");
        for (int i = 1; i <= 2; i++) {
            assertThat(Files.readString(cluster.dir().resolve("log/prolog-" + SlurmCluster.node(i) + ".log")))
                    .containsPattern("job " + second + ": 1 VM\\(s\\) running on hvs-n" + i
                            + " \\(restored from post-boot checkpoint \\S+; private network j" + second + "\\)");
        }
        assertNothingLeft(first);
        assertNothingLeft(second);
        System.out.println(cluster.hookLogs(2));
    }

    private static void assertNothingLeft(String id) {
        for (int i = 1; i <= 2; i++) {
            NetnsNodes.Result links = cluster.onNode(i, "ip", "link");
            assertThat(links.exitCode()).isZero();
            assertThat(links.output()).as("links of " + SlurmCluster.namespace(i) + " after job " + id)
                    .doesNotContain("hvb-j" + id + ":", "hvx-j" + id + ":", "hvt-");
            assertThat(cluster.client(i).list()).as("VMs on node " + i).noneMatch(v -> v.name().startsWith("j" + id + "-"));
        }
    }

    private static int vniOf(String id) {
        return (int) ((Long.parseLong(id) - 1) % 0xFFFFFF) + 1;
    }

    private static Path write(String name, String text) {
        try {
            return Files.writeString(cluster.dir().resolve(name), text);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean running(int node, String id) {
        List<VmStatus> vms = cluster.jobVms(node, id);
        return vms.size() == 1 && vms.get(0).state() == VmState.RUNNING;
    }
}
