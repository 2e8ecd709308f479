package org.hpcvirt.bench.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code hpcvirt bench …}: benchmarks that measure hpcvirt side by side with its baseline. */
@Command(name = "bench", description = "Measure hpcvirt against its baseline and print the ratio.",
        subcommands = {BenchBootCommand.class, BenchSimCommand.class, BenchInjectCommand.class,
                BenchCheckpointCommand.class,
                BenchMigrateCommand.class, BenchTlsCommand.class, BenchCliCommand.class, BenchMetricsCommand.class,
                BenchFootprintCommand.class, BenchContinuumCommand.class, BenchEnclaveCommand.class,
                BenchVseCommand.class, BenchRecoveryCommand.class})
public final class BenchCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
