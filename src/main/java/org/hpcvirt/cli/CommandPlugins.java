package org.hpcvirt.cli;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.Callable;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * Adds the {@link CommandPlugin}s on the class path to the command line, and for each plugin
 * hpcvirt knows of but does not find, a stand-in that says it is not installed and how to get it.
 *
 * <p>A plugin's command is built only when it runs or its usage is shown: it is added as a stand-in
 * that takes every argument as is and hands them to the plugin's own command line (named
 * {@code hpcvirt NAME}). Building picocli's model of {@code hpcvirt bench} and its subcommands on
 * every call would cost each short command, e.g. {@code vm list}, some 20 ms.
 */
final class CommandPlugins {
    /** Known plugins: name → description in the help, and what to do when it is missing. */
    private static final Map<String, String[]> KNOWN = Map.of("bench", new String[] {
        "Measure hpcvirt against its baseline and print the ratio (needs hpcvirt-bench.jar).",
        "the benchmarks are not installed: hpcvirt-bench.jar is not on the class path. Build it with"
                + " 'mvn -B -q package -DskipTests' in the hpcvirt source tree (it writes target/hpcvirt-bench.jar next to"
                + " target/hpcvirt.jar) and run 'bin/hpcvirt bench', which puts it on the class path; see docs/BENCHMARKS.md"});

    private CommandPlugins() {
    }

    static void install(CommandLine cl) {
        install(cl, ServiceLoader.load(CommandPlugin.class, CommandPlugin.class.getClassLoader()));
    }

    static void install(CommandLine cl, Iterable<CommandPlugin> plugins) {
        Set<String> found = new HashSet<>();
        String broken = null;
        try {
            for (CommandPlugin p : plugins) {
                add(cl, p.name(), delegate(cl, p));
                found.add(p.name());
            }
        } catch (ServiceConfigurationError | LinkageError e) {
            broken = e.toString();
        }
        for (Map.Entry<String, String[]> k : KNOWN.entrySet()) {
            if (!found.contains(k.getKey())) {
                String why = broken == null ? k.getValue()[1]
                        : "the '" + k.getKey() + "' command could not be loaded (" + broken + "); rebuild it with 'mvn -B -q package -DskipTests'";
                add(cl, k.getKey(), missing(k.getValue()[0], why));
            }
        }
    }

    /** Adds a stand-in; options inherited from the root (--help…) are taken off so that they reach what stands behind it. */
    private static void add(CommandLine cl, String name, CommandSpec standIn) {
        cl.addSubcommand(name, standIn);
        CommandSpec added = cl.getSubcommands().get(name).getCommandSpec();
        for (OptionSpec o : new ArrayList<>(added.options())) {
            added.remove(o);
        }
    }

    /** A stand-in for plugin {@code p}: passes its arguments to p's command line, built on first use. */
    private static CommandSpec delegate(CommandLine parent, CommandPlugin p) {
        CommandLine[] built = new CommandLine[1];
        java.util.function.Supplier<CommandLine> real = () -> {
            if (built[0] == null) {
                CommandLine c = new CommandLine(p.command());
                c.setCommandName(parent.getCommandName() + " " + p.name());
                ExitCodes.install(c);
                built[0] = c;
            }
            built[0].setOut(parent.getOut());
            built[0].setErr(parent.getErr());
            built[0].setColorScheme(parent.getColorScheme());
            return built[0];
        };
        CommandSpec[] self = new CommandSpec[1];
        Callable<Integer> run = () -> {
            String[] args = self[0].positionalParameters().get(0).getValue();
            return real.get().execute(args == null ? new String[0] : args);
        };
        CommandSpec spec = passThrough(run, p.description());
        self[0] = spec;
        // 'hpcvirt help NAME' shows the plugin's own usage
        spec.usageMessage().sectionKeys(List.of("plugin"));
        spec.usageMessage().sectionMap(Map.of("plugin", help -> real.get().getUsageMessage(help.colorScheme())));
        return spec;
    }

    /** A command that fails with {@code why}, whatever its arguments. */
    private static CommandSpec missing(String description, String why) {
        return passThrough(() -> {
            throw new HpcvirtException(ErrorCode.NOT_FOUND, why);
        }, description);
    }

    /** A command that takes any arguments, options included, as its one positional parameter and runs {@code run}. */
    private static CommandSpec passThrough(Callable<Integer> run, String description) {
        CommandSpec spec = CommandSpec.wrapWithoutInspection(run);
        spec.usageMessage().description(description);
        spec.parser().unmatchedOptionsArePositionalParams(true).stopAtPositional(true);
        spec.addPositional(PositionalParamSpec.builder().arity("0..*").type(String[].class).hidden(true).build());
        return spec;
    }
}
