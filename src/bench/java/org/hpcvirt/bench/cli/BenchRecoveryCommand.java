package org.hpcvirt.bench.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.hpcvirt.bench.RecoveryBenchmark;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hpcvirt bench recovery}: node death and time limit to the job's guest running again, restored, on a real Slurm cluster. */
@Command(name = "recovery",
        description = "On a namespaced Slurm cluster it brings up and down: a node's death to the job's guest running again restored "
                + "elsewhere (Slurm detection, requeue and allocation, hpcvirt's restore), and the time-limit checkpoint + requeue (needs root).")
public final class BenchRecoveryCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--nodes", defaultValue = "3", description = "Compute nodes, 2..10; one dies per round, so N-1 rounds (default ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--out", defaultValue = "target/bench-recovery", description = "result.txt and the cluster's logs (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--cluster-script", defaultValue = "scripts/slurm-cluster.sh", description = "Slurm cluster script (default ${DEFAULT-VALUE}).")
    Path script;

    @Override
    public Integer call() throws Exception {
        CommandLine cl = spec.commandLine();
        if (nodes < 2 || nodes > 10) {
            throw new CommandLine.ParameterException(cl, "--nodes must be 2..10, not " + nodes);
        }
        if (!Files.isExecutable(script)) {
            throw new CommandLine.ParameterException(cl, "--cluster-script: " + script + " is not an executable file");
        }
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new CommandLine.ParameterException(cl, "--out: " + out + " exists and is not a directory");
        }
        new RecoveryBenchmark(script.toAbsolutePath(), nodes, out.toAbsolutePath(), cl.getOut()).run();
        return 0;
    }
}
