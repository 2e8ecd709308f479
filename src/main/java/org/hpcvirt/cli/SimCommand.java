package org.hpcvirt.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code hpcvirt sim …}: the discrete-event fault-tolerance simulator. */
@Command(name = "sim", description = "Simulate fault-tolerance policies at cluster scale.",
        subcommands = {SimRunCommand.class, SimFitCommand.class})
public final class SimCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
