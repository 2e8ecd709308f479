package org.hpcvirt.bench.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.hpcvirt.bench.PredictedRecoveryBenchmark;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code hpcvirt bench recovery --case predicted}: recovery of a Slurm job's VMs on a namespaced cluster.
 * Each case is its own class; this build has the case {@code predicted} ({@link PredictedRecoveryBenchmark}).
 */
@Command(name = "recovery", description = "Recovery of a Slurm job's VMs on a namespaced 3-node cluster it brings up and down "
        + "(needs root). --case predicted: a trusted prediction drains a node and live-migrates its job VM to the job's spare; "
        + "total time, QEMU downtime and guest pause.")
public final class BenchRecoveryCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--case", defaultValue = "predicted", description = "What fails: predicted (default ${DEFAULT-VALUE}).")
    String recoveryCase;

    @Option(names = "--runs", defaultValue = "3", description = "Rounds (default ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--max-downtime", defaultValue = "10", description = "Downtime limit of the migrations, ms (default ${DEFAULT-VALUE}).")
    long maxDowntime;

    @Option(names = "--out", defaultValue = "target/bench-recovery", description = "Job files, result.txt, cluster logs (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--cluster-script", defaultValue = "scripts/slurm-cluster.sh", description = "Slurm cluster script (default ${DEFAULT-VALUE}).")
    Path script;

    @Override
    public Integer call() throws Exception {
        CommandLine cl = spec.commandLine();
        if (!recoveryCase.equals("predicted")) {
            throw new CommandLine.ParameterException(cl, "--case: '" + recoveryCase + "' is not a case of this build (cases: predicted)");
        }
        if (runs < 1) {
            throw new CommandLine.ParameterException(cl, "--runs must be at least 1, not " + runs);
        }
        if (maxDowntime < 1 || maxDowntime > 60_000) {
            throw new CommandLine.ParameterException(cl, "--max-downtime must be 1..60000 ms, not " + maxDowntime);
        }
        if (!Files.isExecutable(script)) {
            throw new CommandLine.ParameterException(cl, "--cluster-script: " + script + " is not an executable file");
        }
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new CommandLine.ParameterException(cl, "--out: " + out + " exists and is not a directory");
        }
        new PredictedRecoveryBenchmark(script.toAbsolutePath(), runs, maxDowntime, out.toAbsolutePath(), cl.getOut()).run();
        return 0;
    }
}
