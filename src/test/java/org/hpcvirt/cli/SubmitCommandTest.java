package org.hpcvirt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.hpcvirt.slurm.SlurmCommands;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code hpcvirt submit} and {@code vse explain}: validation at submission, and what reaches sbatch (a recording stand-in). */
class SubmitCommandTest {
    private static final String DIR = "src/test/resources/vse/";
    private final List<List<String>> calls = new ArrayList<>();

    private void slurm(int sbatchExit, String sbatchOutput) {
        SubmitCommand.slurm = argv -> {
            calls.add(argv);
            if (argv.get(0).equals("sinfo")) {
                return new SlurmCommands.Result(0, "hvs*\nlong\n");
            }
            return new SlurmCommands.Result(sbatchExit, sbatchOutput);
        };
    }

    @AfterEach
    void real() {
        SubmitCommand.slurm = SlurmCommands.REAL;
    }

    @Test
    void aGoodVseIsSubmittedWithItsOptionsAndTheScriptsArgumentsUnchanged() {
        slurm(0, "Submitted batch job 7\n");
        CliTest.Run r = CliTest.run("submit", DIR + "good/minimal.yaml", "--policy", DIR + "policy.yaml", "-N2", "--time=5",
                "--", "job.sh", "--", "-p", "a b");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("Submitted batch job 7\n");
        assertThat(calls).hasSize(2);
        assertThat(calls.get(1)).containsExactly("env", "HPCVIRT_VSE_CHECKED=" + java.nio.file.Path.of(DIR + "good/minimal.yaml").toAbsolutePath(),
                "sbatch", "--vse=" + java.nio.file.Path.of(DIR + "good/minimal.yaml").toAbsolutePath(),
                "-N2", "--time=5", "job.sh", "--", "-p", "a b");
    }

    @Test
    void aVseOverALimitIsAnErrorOnTheTerminalAndNothingIsSubmitted() {
        slurm(0, "Submitted batch job 8\n");
        CliTest.Run r = CliTest.run("submit", DIR + "over-limit.yaml", "--policy", DIR + "policy.yaml", "-N2", "--", "job.sh");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("error: " + DIR + "over-limit.yaml: line 3: field 'vm.cpus': 4 is above the maximum 2 "
                + "set by admin (limits.cpusPerVm)");
        assertThat(calls).noneMatch(c -> c.contains("sbatch"));
    }

    @Test
    void thePartitionsRulesApplyAndTheDefaultPartitionComesFromSinfo() {
        slurm(0, "Submitted batch job 9\n");
        CliTest.Run small = CliTest.run("submit", DIR + "good/full.yaml", "--policy", DIR + "policy.yaml", "-p", "small", "-N2", "--",
                "job.sh");
        assertThat(small.code()).as(small.err()).isZero();
        assertThat(calls.get(0)).containsExactly("env", "HPCVIRT_VSE_CHECKED=" + java.nio.file.Path.of(DIR + "good/full.yaml").toAbsolutePath(),
                "sbatch", "--vse=" + java.nio.file.Path.of(DIR + "good/full.yaml").toAbsolutePath(),
                "-p", "small", "-N2", "job.sh");
        calls.clear();
        CliTest.Run dflt = CliTest.run("submit", DIR + "good/minimal.yaml", "--policy", DIR + "policy.yaml", "--", "job.sh");
        assertThat(dflt.code()).as(dflt.err()).isZero();
        assertThat(calls.get(0)).containsExactly("sinfo", "-h", "-o", "%P");
    }

    @Test
    void thePartitionOfTheScriptsSbatchLinesApplies(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        java.nio.file.Path script = java.nio.file.Files.writeString(tmp.resolve("job.sh"),
                "#!/bin/sh\n# a comment\n#SBATCH -N2 --partition=small\n#SBATCH --time=5\necho hi\n#SBATCH -p long\n");
        assertThat(SubmitCommand.scriptPartition(script)).isEqualTo("small");
        java.nio.file.Path big = java.nio.file.Files.writeString(tmp.resolve("big.yaml"), "vm:\n  memory: 512M\n");
        slurm(0, "Submitted batch job 10\n");
        CliTest.Run r = CliTest.run("submit", big.toString(), "--policy", DIR + "policy.yaml", "--", script.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("field 'vm.memory': 512M is above the maximum 256M set by admin (partitions.small.memoryPerVm)");
        assertThat(calls).isEmpty();
    }

    @Test
    void aSlurmWithoutThePluginIsNamed() {
        slurm(1, "sbatch: unrecognized option '--vse=/x.yaml'\nTry \"sbatch --help\" for more information\n");
        CliTest.Run r = CliTest.run("submit", DIR + "good/minimal.yaml", "--policy", DIR + "policy.yaml", "--", "job.sh");
        assertThat(r.code()).isEqualTo(6);
        assertThat(r.err()).contains("this Slurm has no hpcvirt SPANK plugin (sbatch does not know --vse)");
    }

    @Test
    void missingScriptSeparatorIsAnError() {
        slurm(0, "");
        CliTest.Run r = CliTest.run("submit", DIR + "good/minimal.yaml", "job.sh");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("submit: missing '-- SCRIPT' after the sbatch options");
        assertThat(calls).isEmpty();
    }

    @Test
    void explainPrintsWhoDecidedEachField() {
        CliTest.Run r = CliTest.run("vse", "explain", DIR + "long-period.yaml", "--policy", DIR + "policy.yaml", "--partition", "long");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).containsPattern("ft.checkpointPeriod +2h +admin \\(partitions.long.maxCheckpointPeriod\\), lowered from 4h "
                + "\\(user \\(ft.checkpointPeriod\\)\\)")
                .containsPattern("vm.memory +128M +admin \\(defaults.memory\\)");
    }

    @Test
    void aJobWithSparesMustAskForThemWithMinusN(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        slurm(0, "Submitted batch job 11\n");
        CliTest.Run one = CliTest.run("submit", DIR + "good/spare.yaml", "--policy", DIR + "policy.yaml", "-p", "hvs", "-N1", "--", "job.sh");
        assertThat(one.code()).isEqualTo(2);
        assertThat(one.err().strip()).isEqualTo("error: " + DIR + "good/spare.yaml: line 5: field 'ft.spares': 1 spare node(s) need a job of at"
                + " least 2 nodes (-N2: -N counts the spares, which get no VM), not 1");
        assertThat(calls).noneMatch(c -> c.get(0).equals("sbatch"));
        CliTest.Run none = CliTest.run("submit", DIR + "good/spare.yaml", "--policy", DIR + "policy.yaml", "-p", "hvs", "--", "job.sh");
        assertThat(none.code()).as("no -N: sbatch's default of one node").isEqualTo(2);

        CliTest.Run two = CliTest.run("submit", DIR + "good/spare.yaml", "--policy", DIR + "policy.yaml", "-p", "hvs", "--nodes=2-3", "--", "job.sh");
        assertThat(two.code()).as(two.err()).isZero();
        java.nio.file.Path script = java.nio.file.Files.writeString(tmp.resolve("job.sh"), "#!/bin/sh\n#SBATCH -N3\nsleep 1\n");
        CliTest.Run fromScript = CliTest.run("submit", DIR + "good/spare.yaml", "--policy", DIR + "policy.yaml", "-p", "hvs", "--", script.toString());
        assertThat(fromScript.code()).as(fromScript.err()).isZero();
        assertThat(SubmitCommand.requestedNodes(List.of("-N", "4"), script)).isEqualTo(4);
        assertThat(SubmitCommand.requestedNodes(List.of("-N5"), script)).isEqualTo(5);
        assertThat(SubmitCommand.requestedNodes(List.of(), script)).isEqualTo(3);
    }
}
