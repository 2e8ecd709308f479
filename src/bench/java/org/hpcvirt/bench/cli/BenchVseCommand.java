package org.hpcvirt.bench.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.hpcvirt.bench.VseBenchmark;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hpcvirt bench vse}: submission to the job's first command in its VMs on a real Slurm cluster, bare vs cold boot vs snapshot. */
@Command(name = "vse",
        description = "Submission to a 2-node job's first command on a namespaced Slurm cluster it brings up and down: bare Slurm "
                + "vs a VSE booted cold vs a VSE restored from its post-boot snapshot (needs root).")
public final class BenchVseCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--runs", defaultValue = "3", description = "Jobs of each variant, interleaved (default ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--nodes", defaultValue = "2", description = "Compute nodes of the cluster and of each job, 1..50 (default ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--out", defaultValue = "target/bench-vse", description = "Job scripts, job outputs and result.txt (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--cluster-script", defaultValue = "scripts/slurm-cluster.sh", description = "Slurm cluster script (default ${DEFAULT-VALUE}).")
    Path script;

    @Override
    public Integer call() throws Exception {
        CommandLine cl = spec.commandLine();
        if (runs < 1) {
            throw new CommandLine.ParameterException(cl, "--runs must be at least 1, not " + runs);
        }
        if (nodes < 1 || nodes > 50) {
            throw new CommandLine.ParameterException(cl, "--nodes must be 1..50, not " + nodes);
        }
        if (!Files.isExecutable(script)) {
            throw new CommandLine.ParameterException(cl, "--cluster-script: " + script + " is not an executable file");
        }
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new CommandLine.ParameterException(cl, "--out: " + out + " exists and is not a directory");
        }
        new VseBenchmark(script.toAbsolutePath(), runs, nodes, out.toAbsolutePath(), cl.getOut()).run();
        return 0;
    }
}
