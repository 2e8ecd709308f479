package org.hpcvirt.bench.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.hpcvirt.bench.CliLatencyBenchmark;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hpcvirt bench cli}: wall time of {@code hpcvirt vm list} (new JVM per run) vs the same request with curl. */
@Command(name = "cli",
        description = "Wall time of 'hpcvirt vm list' against a running daemon (a new JVM per run) vs the same request raw"
                + " over the Unix socket (curl), median and ratio.")
public final class BenchCliCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--runs", defaultValue = "20", description = "Runs of each (default ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--vms", defaultValue = "3", description = "VMs defined in the temporary node, so the list is not empty"
            + " (default ${DEFAULT-VALUE}).")
    int vms;

    @Option(names = "--launcher", defaultValue = "bin/hpcvirt", description = "The hpcvirt command to time (default ${DEFAULT-VALUE}).")
    Path launcher;

    @Override
    public Integer call() throws Exception {
        new CliLatencyBenchmark(launcher.toAbsolutePath(), runs, vms, spec.commandLine().getOut()).run();
        return 0;
    }
}
