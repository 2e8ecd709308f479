package org.hpcvirt.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code hpcvirt ft …}: fault-tolerance mathematics and policies (room for {@code predict} later). */
@Command(name = "ft", description = "Fault tolerance: checkpoint intervals and policies.",
        subcommands = {FtIntervalCommand.class, FtPolicyCommand.class, FtPredictCommand.class})
public final class FtCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
