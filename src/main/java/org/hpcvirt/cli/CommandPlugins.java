package org.hpcvirt.cli;

import java.util.ArrayList;
import java.util.HashSet;
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
        Set<String> found = new HashSet<>();
        String broken = null;
        try {
            for (CommandPlugin p : ServiceLoader.load(CommandPlugin.class, CommandPlugin.class.getClassLoader())) {
                cl.addSubcommand(p.name(), p.command());
                found.add(p.name());
            }
        } catch (ServiceConfigurationError | LinkageError e) {
            broken = e.toString();
        }
        for (Map.Entry<String, String[]> k : KNOWN.entrySet()) {
            if (!found.contains(k.getKey())) {
                String why = broken == null ? k.getValue()[1]
                        : "the '" + k.getKey() + "' command could not be loaded (" + broken + "); rebuild it with 'mvn -B -q package -DskipTests'";
                cl.addSubcommand(k.getKey(), missing(k.getValue()[0], why));
                // options inherited from the root (--help…) would answer instead of the message: the stand-in has none
                CommandSpec stub = cl.getSubcommands().get(k.getKey()).getCommandSpec();
                for (OptionSpec o : new ArrayList<>(stub.options())) {
                    stub.remove(o);
                }
            }
        }
    }

    /** A command that takes any arguments (so that {@code --help} and subcommands reach it too) and fails with {@code why}. */
    private static CommandSpec missing(String description, String why) {
        Callable<Integer> fail = () -> {
            throw new HpcvirtException(ErrorCode.NOT_FOUND, why);
        };
        CommandSpec spec = CommandSpec.wrapWithoutInspection(fail);
        spec.usageMessage().description(description);
        spec.parser().unmatchedOptionsArePositionalParams(true);
        spec.addPositional(PositionalParamSpec.builder().arity("0..*").type(String[].class).hidden(true).build());
        return spec;
    }
}
