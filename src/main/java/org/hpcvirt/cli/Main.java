package org.hpcvirt.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of the {@code hpcvirt} command. Subcommands are thin: they parse, call a service
 * (locally or through the daemon) and print. Errors become exit codes in {@link ExitCodes} only.
 */
@Command(name = "hpcvirt", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        scope = CommandLine.ScopeType.INHERIT, // --help, -h, --version on every subcommand at any depth
        description = "System-level virtualization for HPC clusters.",
        subcommands = {
                VmCommand.class,
                EnclaveCommand.class,
                NetworkCommand.class,
                CheckpointCommand.class,
                EventsCommand.class,
                DaemonCommand.class,
                ClusterCommand.class,
                BackendsCommand.class,
                ImageCommand.class,
                FtCommand.class,
                SimCommand.class,
                ZonesCommand.class,
                InjectCommand.class,
                CampaignCommand.class,
                CompletionCommand.class,
                TreeHelpCommand.class,
                VseCommand.class,
                SubmitCommand.class,
                SlurmCommand.class,
                JobCommand.class
        })
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI in-process and returns its exit code (used by tests). */
    public static int run(String... args) {
        return newCommandLine().execute(args);
    }

    public static CommandLine newCommandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setDefaultValueProvider(new OperationDefaults());
        ExitCodes.install(cl);
        CommandPlugins.install(cl);
        // submit passes its options and the job script's arguments to sbatch as they are, '--' included
        cl.getSubcommands().get("submit").setUnmatchedOptionsArePositionalParams(true).setEndOfOptionsDelimiter("--hpcvirt-end-of-options");
        return cl;
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** The product's version, as the build recorded it. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"hpcvirt " + org.hpcvirt.api.Version.current()};
        }
    }
}
