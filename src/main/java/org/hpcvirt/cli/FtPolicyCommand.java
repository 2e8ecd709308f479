package org.hpcvirt.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code hpcvirt ft policy …}: the center/admin/user policy merge. */
@Command(name = "policy", description = "Fault-tolerance policy merge (center, administrator, user).",
        subcommands = {FtPolicyExplainCommand.class})
final class FtPolicyCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
