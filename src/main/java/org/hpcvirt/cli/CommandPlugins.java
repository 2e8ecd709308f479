package org.hpcvirt.cli;

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
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * Adds the {@link CommandPlugin}s on the class path to the command line, and for each plugin
 * hpcvirt knows of but does not find, a stand-in: its {@code --help} says the command is not
 * installed and how to get it, and running it fails with that message (exit code of NOT_FOUND).
 */
final class CommandPlugins {
    /** Known plugins: name → description lines for the stand-in, and the error it fails with. */
    private static final Map<String, String[]> KNOWN = Map.of("bench", new String[] {
        "Measure hpcvirt against its baseline and print the ratio (not installed: needs hpcvirt-bench.jar).",
        "The benchmarks are not in the product jar. Build target/hpcvirt-bench.jar with 'mvn -B -q package -DskipTests'"
                + " in the hpcvirt source tree and run 'bin/hpcvirt bench', which puts it on the class path; see docs/BENCHMARKS.md.",
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
                cl.addSubcommand(p.name(), p.command());
                found.add(p.name());
            }
        } catch (ServiceConfigurationError | LinkageError e) {
            broken = e.toString();
        }
        for (Map.Entry<String, String[]> k : KNOWN.entrySet()) {
            if (!found.contains(k.getKey())) {
                String[] text = k.getValue();
                String why = broken == null ? text[2]
                        : "the '" + k.getKey() + "' command could not be loaded (" + broken + "); rebuild it with 'mvn -B -q package -DskipTests'";
                cl.addSubcommand(k.getKey(), missing(why, text[0], text[1]));
            }
        }
    }

    /**
     * A command that fails with {@code why} whatever its arguments (they are taken as one hidden
     * positional parameter), except for the root's inherited {@code --help} and {@code --version}.
     */
    private static CommandSpec missing(String why, String... description) {
        Callable<Integer> fail = () -> {
            throw new HpcvirtException(ErrorCode.NOT_FOUND, why);
        };
        CommandSpec spec = CommandSpec.wrapWithoutInspection(fail);
        spec.usageMessage().description(description);
        spec.parser().unmatchedOptionsArePositionalParams(true).stopAtPositional(true);
        spec.addPositional(PositionalParamSpec.builder().arity("0..*").type(String[].class).hidden(true).build());
        return spec;
    }
}
