package org.hpcvirt.bench.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.hpcvirt.bench.PredictedRecoveryBenchmark;
import org.hpcvirt.bench.RecoveryBenchmark;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code hpcvirt bench recovery [--case failure|predicted]}: recovery of a Slurm job's VMs on a namespaced
 * cluster the benchmark brings up and down. Each case is its own class: {@code failure} ({@link RecoveryBenchmark}:
 * a node's death and the time limit), {@code predicted} ({@link PredictedRecoveryBenchmark}: evacuation to a spare).
 */
@Command(name = "recovery", description = "Recovery of a Slurm job's VMs on a namespaced Slurm cluster it brings up and down (needs root). "
        + "--case failure (default): a node's death to the job's guest running again restored elsewhere (Slurm detection, requeue and "
        + "allocation, hpcvirt's restore), and the time-limit checkpoint + requeue. --case predicted: a trusted prediction drains a node "
        + "and live-migrates its job VM to the job's spare (total time, QEMU downtime, guest pause).")
public final class BenchRecoveryCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--case", defaultValue = "failure", description = "What fails: failure or predicted (default ${DEFAULT-VALUE}).")
    String recoveryCase;

    @Option(names = "--nodes", defaultValue = "3", description = "--case failure: compute nodes, 2..10; one dies per round, so N-1 rounds "
            + "(default ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--runs", defaultValue = "3", description = "--case predicted: rounds (default ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--max-downtime", defaultValue = "10", description = "--case predicted: downtime limit of the migrations, ms "
            + "(default ${DEFAULT-VALUE}).")
    long maxDowntime;

    @Option(names = "--out", defaultValue = "target/bench-recovery", description = "result.txt and the cluster's logs (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--cluster-script", defaultValue = "scripts/slurm-cluster.sh", description = "Slurm cluster script (default ${DEFAULT-VALUE}).")
    Path script;

    @Override
    public Integer call() throws Exception {
        CommandLine cl = spec.commandLine();
        if (!recoveryCase.equals("failure") && !recoveryCase.equals("predicted")) {
            throw new CommandLine.ParameterException(cl, "--case: '" + recoveryCase + "' is not a case (cases: failure, predicted)");
        }
        if (nodes < 2 || nodes > 10) {
            throw new CommandLine.ParameterException(cl, "--nodes must be 2..10, not " + nodes);
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
        if (recoveryCase.equals("predicted")) {
            new PredictedRecoveryBenchmark(script.toAbsolutePath(), runs, maxDowntime, out.toAbsolutePath(), cl.getOut()).run();
        } else {
            new RecoveryBenchmark(script.toAbsolutePath(), nodes, out.toAbsolutePath(), cl.getOut()).run();
        }
        return 0;
    }
}
