package org.hpcvirt.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code hpcvirt campaign …}: fault-injection campaigns. */
@Command(name = "campaign", description = "Run fault-injection campaigns from YAML files.",
        subcommands = {CampaignRunCommand.class})
public final class CampaignCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
