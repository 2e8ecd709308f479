package org.hpcvirt.cli;

import java.io.PrintWriter;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code hpcvirt completion}: prints a bash (and zsh, after {@code bashcompinit}) completion script
 * generated from the command tree itself, so it never lags behind the commands. Use:
 * {@code source <(hpcvirt completion)}.
 */
@Command(name = "completion",
        description = "Print a bash completion script for hpcvirt; load it with: source <(hpcvirt completion)")
final class CompletionCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        CommandLine root = spec.root().commandLine();
        PrintWriter out = spec.commandLine().getOut();
        out.print(AutoComplete.bash(spec.root().name(), root));
        out.flush();
    }
}
