package org.hpcvirt.slurm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Host lists, job environments, VM names of jobs, CPU ids from scontrol. */
class SlurmAdapterTest {
    @Test
    void hostListsExpandAsScontrolShowHostnamesDoes() {
        assertThat(HostList.expand("hvs-n[1-2]")).containsExactly("hvs-n1", "hvs-n2");
        assertThat(HostList.expand("a1,b[01-03,7],c")).containsExactly("a1", "b01", "b02", "b03", "b7", "c");
        assertThat(HostList.expand("n[8-10]x")).containsExactly("n8x", "n9x", "n10x");
        assertThat(HostList.expand("")).isEmpty();
        assertThatThrownBy(() -> HostList.expand("n[1-2")).hasMessage("host list 'n[1-2': unbalanced brackets");
        assertThatThrownBy(() -> HostList.expand("n[3-1]")).hasMessage("host list 'n[3-1]': bad range '3-1'");
    }

    @Test
    void theJobComesFromThePrologsOrTheJobsEnvironment() {
        SlurmJob prolog = SlurmJob.fromEnvironment(Map.of("SLURM_JOB_ID", "12", "SLURM_JOB_USER", "alice", "SLURMD_NODENAME", "hvs-n2",
                "SLURM_NODELIST", "hvs-n[1-2]", "SLURM_JOB_PARTITION", "long", "SPANK_HPCVIRT_VSE", "/home/alice/j.yaml"));
        assertThat(prolog).isEqualTo(new SlurmJob("12", "alice", "hvs-n2", List.of("hvs-n1", "hvs-n2"), "long", Path.of("/home/alice/j.yaml")));
        SlurmJob job = SlurmJob.fromEnvironment(Map.of("SLURM_JOB_ID", "12", "SLURM_JOB_NODELIST", "hvs-n1"));
        assertThat(job.nodes()).containsExactly("hvs-n1");
        assertThat(job.vse()).isNull();
        assertThatThrownBy(() -> SlurmJob.fromEnvironment(Map.of()))
                .hasMessage("not inside a Slurm job: SLURM_JOB_ID is not set");
    }

    @Test
    void vmNamesCarryTheJobAndAreValidVmNames() {
        assertThat(SlurmJob.vmName("12", "hvs-n1", 0)).isEqualTo("j12-hvs-n1-0");
        assertThat(SlurmJob.vmName("12", "Node_A.B", 3)).isEqualTo("j12-node-a-b-3");
        String longName = SlurmJob.vmName("123456", "a-very-long-compute-node-name-of-this-centre", 11);
        assertThat(longName).hasSizeLessThanOrEqualTo(40).startsWith("j123456-a-very").endsWith("-11");
        assertThat(SlurmJob.jobOf("j12-hvs-n1-0")).isEqualTo("12");
        assertThat(SlurmJob.jobOf("compute-1")).isNull();
    }

    @Test
    void theJobsCpuIdsOnThisNodeComeFromScontrolShowJobDetail() {
        String scontrol = """
                JobId=7 JobName=x
                   NumNodes=3 NumCPUs=5
                     Nodes=hvs-n[1-2] CPU_IDs=0-1 Mem=0 GRES=
                     Nodes=hvs-n3 CPU_IDs=0,2-3 Mem=0 GRES=
                """;
        assertThat(VseDeployer.cpusOf(scontrol, "hvs-n2")).containsExactly(0, 1);
        assertThat(VseDeployer.cpusOf(scontrol, "hvs-n3")).containsExactly(0, 2, 3);
        assertThat(VseDeployer.cpusOf(scontrol, "hvs-n4")).isEmpty();
    }

    @Test
    void aCpuMapTurnsSlurmsCpuIdsIntoTheHostCoresTheyStandFor() {
        assertThat(CpuMap.parse(null).hostCores(java.util.List.of(0, 1))).containsExactly(0, 1);
        assertThat(CpuMap.parse(" ").hostCores(java.util.List.of(3))).containsExactly(3);
        CpuMap rotated = CpuMap.parse("1,0");
        assertThat(rotated.hostCores(java.util.List.of(0))).containsExactly(1);
        assertThat(rotated.hostCores(java.util.List.of(0, 1))).containsExactly(1, 0);
        assertThat(CpuMap.parse("4-7").hostCores(java.util.List.of(1, 3))).containsExactly(5, 7);
        assertThatThrownBy(() -> rotated.hostCores(java.util.List.of(2)))
                .hasMessage("Slurm CPU id 2 has no host core in HPCVIRT_CPU_MAP=1,0 (2 cores mapped)");
        assertThatThrownBy(() -> CpuMap.parse("1,x")).hasMessageStartingWith("HPCVIRT_CPU_MAP=1,x: not a CPU list");
        assertThatThrownBy(() -> CpuMap.parse("1,1")).hasMessage("HPCVIRT_CPU_MAP=1,1: a host core appears twice");
    }

    @Test
    void aHookRunInTheDaemonLooksOnlyAtSlurmsAndHpcvirtsVariablesAndKnowsTwoHooks() {
        java.util.Map<String, String> env = new java.util.HashMap<>(java.util.Map.of("SLURM_JOB_ID", "7", "SLURMD_NODENAME", "hvs-n1",
                "SPANK_HPCVIRT_VSE", "/j.yaml", "HPCVIRT_CPU_MAP", "1,0", "PATH", "/bin", "LD_PRELOAD", "/evil.so", "SLURM", "x"));
        assertThat(SlurmHooks.relevant(env)).containsOnlyKeys("SLURM_JOB_ID", "SLURMD_NODENAME", "SPANK_HPCVIRT_VSE", "HPCVIRT_CPU_MAP");
        assertThat(SlurmHooks.relevant(null)).isEmpty();
        org.hpcvirt.vm.NodeLayout nowhere = new org.hpcvirt.vm.NodeLayout(java.nio.file.Path.of("/nonexistent-hpcvirt-home"));
        assertThatThrownBy(() -> SlurmHooks.run(new org.hpcvirt.api.Operation.SlurmHook("prologue", env), nowhere))
                .hasMessage("field 'hook': 'prologue' is not prolog or epilog");
        assertThatThrownBy(() -> SlurmHooks.run(new org.hpcvirt.api.Operation.SlurmHook("epilog", java.util.Map.of("PATH", "/bin")), nowhere))
                .hasMessage("not inside a Slurm job: SLURM_JOB_ID is not set");
        assertThat(org.hpcvirt.api.Access.of(org.hpcvirt.api.Operation.SlurmHook.class)).isEqualTo(org.hpcvirt.api.Access.ADMIN);
    }
}
