package org.hpcvirt.slurm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.hpcvirt.network.PrivateNetwork;
import org.junit.jupiter.api.Test;

/** The plan of a job's private network: names, VNI, host numbers, guest set-up, node addresses. */
class JobNetworkTest {
    private static SlurmJob job(String id, String... nodes) {
        return new SlurmJob(id, "alice", nodes[0], List.of(nodes), "hvs", Path.of("/x.vse.yaml"));
    }

    @Test
    void everyNodeComputesTheSameMembersInTheJobsNodeOrder() {
        JobNetwork n = JobNetwork.of(job("42", "hvs-n1", "hvs-n2"), 2);
        assertThat(n.name()).isEqualTo("j42");
        assertThat(n.members()).extracting(JobNetwork.Member::vm, JobNetwork.Member::address).containsExactly(
                org.assertj.core.groups.Tuple.tuple("j42-hvs-n1-0", "10.200.100.1"),
                org.assertj.core.groups.Tuple.tuple("j42-hvs-n1-1", "10.200.100.2"),
                org.assertj.core.groups.Tuple.tuple("j42-hvs-n2-0", "10.200.100.3"),
                org.assertj.core.groups.Tuple.tuple("j42-hvs-n2-1", "10.200.100.4"));
        assertThat(n.on("hvs-n2")).extracting(JobNetwork.Member::host).containsExactly(3, 4);
        assertThat(n.members().get(0).mac()).isEqualTo(PrivateNetwork.macOf("j42-hvs-n1-0"));
    }

    @Test
    void vniAndNetworkNameComeFromTheJobId() {
        assertThat(JobNetwork.vniOf("1")).isEqualTo(1);
        assertThat(JobNetwork.vniOf("16777215")).isEqualTo(16777215);
        assertThat(JobNetwork.vniOf("16777216")).isEqualTo(1);
        assertThat(JobNetwork.nameOf("4294967295")).matches(PrivateNetwork.NAME.pattern());
        assertThat(JobNetwork.jobOf("j42")).isEqualTo("42");
        assertThat(JobNetwork.jobOf("lab")).isNull();
    }

    @Test
    void moreVmsThanTheSubnetHoldsAreRefused() {
        String[] nodes = new String[128];
        for (int i = 0; i < nodes.length; i++) {
            nodes[i] = "n" + i;
        }
        assertThatThrownBy(() -> JobNetwork.of(job("7", nodes), 2))
                .hasMessage("network: private joins at most 254 VMs; job 7 has 128 nodes × 2 VMs = 256");
    }

    @Test
    void theGuestSetUpSetsMacMtuAddressHostNameAndHostsOfEveryVm() {
        JobNetwork n = JobNetwork.of(job("42", "hvs-n1", "hvs-n2"), 1);
        String sh = n.guestSetup(n.members().get(1));
        assertThat(sh).contains("ip link set eth0 address " + PrivateNetwork.macOf("j42-hvs-n2-0"), "ip link set eth0 mtu 1450",
                "ip addr add 10.200.100.2/24 dev eth0", "hostname j42-hvs-n2-0",
                "printf '127.0.0.1 localhost\\n10.200.100.1 j42-hvs-n1-0\\n10.200.100.2 j42-hvs-n2-0\\n' > /etc/hosts");
    }

    @Test
    void nodeAddressesComeFromTheClusterConfiguration() {
        ClusterNodes c = new ClusterNodes("/tls/{node}", Map.of("hvs-n1", "https://10.200.60.1:7700", "bad", "::"));
        assertThat(JobNetwork.addressOf(c, "hvs-n1")).isEqualTo("10.200.60.1");
        assertThatThrownBy(() -> JobNetwork.addressOf(c, "hvs-n9"))
                .hasMessageStartingWith("node hvs-n9 in the cluster's node configuration (nodes: bad, hvs-n1)");
        assertThatThrownBy(() -> JobNetwork.addressOf(c, "bad")).hasMessage("the cluster's node configuration: node bad: '::' is not a URL");
    }

    @Test
    void aPrivateVseGivesProfilesOnTheJobsNetworkAndItsOwnWarmCheckpoints() {
        String yaml = VseDeployer.profile("j42-hvs-n1-0", merged("private"), List.of(), JobNetwork.of(job("42", "hvs-n1"), 1));
        assertThat(yaml).contains("network: private\nprivateNetwork: j42\n");
        assertThat(VseDeployer.warmTag(merged("private"))).endsWith(":private");
        assertThat(VseDeployer.warmTag(merged("none"))).doesNotContain("private");
        assertThat(VseDeployer.profile("j42-hvs-n1-0", merged("none"), List.of(), null)).doesNotContain("network");
    }

    private static org.hpcvirt.vse.MergedVse merged(String network) {
        java.nio.file.Path dir = Path.of("src/test/resources/vse");
        org.hpcvirt.vse.VseFile f = new org.hpcvirt.vse.VseFile("default", null, null, null, network, null);
        return org.hpcvirt.vse.VseMerge.merge(new org.hpcvirt.vse.VseLoader.Loaded<>(f,
                new org.hpcvirt.vse.VseSource(Path.of("x.vse.yaml"), "network: " + network + "\n")),
                org.hpcvirt.vse.VseLoader.policy(dir.resolve("policy.yaml")), null, null);
    }
}
