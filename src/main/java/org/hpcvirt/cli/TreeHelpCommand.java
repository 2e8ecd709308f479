package org.hpcvirt.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import org.hpcvirt.api.HpcvirtException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code hpcvirt help [COMMAND…]}: the usage of the command at the end of a path of any depth
 * ({@code hpcvirt help sim run}); picocli's own {@link CommandLine.HelpCommand} looks one level deep
 * only. Prints exactly what {@code hpcvirt COMMAND… --help} prints.
 */
@Command(name = "help", helpCommand = true,
        description = "Print the usage of a command: hpcvirt help vm exec (same as hpcvirt vm exec --help).")
final class TreeHelpCommand implements CommandLine.IHelpCommandInitializable2, Runnable {
    @Parameters(paramLabel = "COMMAND", arity = "0..*", description = "Path of the command, e.g. 'vm exec'.")
    List<String> path = new ArrayList<>();

    private CommandLine self;
    private CommandLine.Help.ColorScheme colorScheme;
    private PrintWriter out;

    @Override
    public void init(CommandLine helpCommandLine, CommandLine.Help.ColorScheme colorScheme, PrintWriter out, PrintWriter err) {
        this.self = helpCommandLine;
        this.colorScheme = colorScheme;
        this.out = out;
    }

    @Override
    public void run() {
        CommandLine target = self.getParent() != null ? self.getParent() : self;
        for (String word : path) {
            CommandLine next = target.getSubcommands().get(word);
            if (next == null) {
                throw HpcvirtException.invalid("help: '" + word + "' is not a command of '"
                        + target.getCommandSpec().qualifiedName() + "' (its commands: "
                        + String.join(", ", target.getSubcommands().keySet()) + ")");
            }
            target = next;
        }
        target.usage(out, colorScheme);
        out.flush();
    }
}
