package org.hpcvirt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.hpcvirt.api.ErrorCode;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Without hpcvirt-bench.jar on the class path (the unit tests' case), 'bench' says it is not installed. */
class CommandPluginsTest {
    record Run(int code, String out, String err) {
    }

    static Run run(CommandLine cl, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void benchWithoutTheBenchJarSaysHowToBuildIt() {
        for (String[] args : new String[][] {{"bench"}, {"bench", "--help"}, {"bench", "boot", "--rounds", "3"}}) {
            Run r = run(Main.newCommandLine(), args);
            assertThat(r.code()).as(String.join(" ", args)).isEqualTo(ErrorCode.NOT_FOUND.exitCode());
            assertThat(r.err()).startsWith("error: the benchmarks are not installed")
                    .contains("mvn -B -q package -DskipTests").contains("target/hpcvirt-bench.jar").doesNotContain("at org.");
        }
    }

    @Test
    void benchIsListedInTheHelp() {
        assertThat(run(Main.newCommandLine(), "--help").out()).contains("bench ");
    }

    @Command(name = "top", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT,
            subcommands = CommandLine.HelpCommand.class)
    static final class InheritingRoot implements Runnable {
        @Override
        public void run() {
        }
    }

    @Command(name = "fake", mixinStandardHelpOptions = true, description = "A plugin's own command.",
            subcommands = FakeRun.class)
    static final class Fake implements Runnable {
        @Override
        public void run() {
        }
    }

    @Command(name = "run", mixinStandardHelpOptions = true, description = "Prints its option.")
    static final class FakeRun implements java.util.concurrent.Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @CommandLine.Option(names = "--n", defaultValue = "1")
        int n;

        @Override
        public Integer call() {
            if (n < 0) {
                throw org.hpcvirt.api.HpcvirtException.invalid("--n must be ≥ 0");
            }
            spec.commandLine().getOut().println("n=" + n);
            return 0;
        }
    }

    /** A plugin that counts how often its command was built. */
    static final class FakePlugin implements CommandPlugin {
        int built;

        @Override
        public String name() {
            return "fake";
        }

        @Override
        public String description() {
            return "A fake plugin.";
        }

        @Override
        public Object command() {
            built++;
            return new Fake();
        }
    }

    @Test
    void aPluginIsBuiltOnlyWhenItRunsAndGetsItsArgumentsAsIs() {
        FakePlugin p = new FakePlugin();
        CommandLine cl = new CommandLine(new InheritingRoot());
        ExitCodes.install(cl);
        CommandPlugins.install(cl, java.util.List.of(p));
        assertThat(run(cl, "--help").out()).contains("fake").contains("A fake plugin.");
        assertThat(p.built).isZero();
        Run r = run(cl, "fake", "run", "--n", "3");
        assertThat(r.code()).isZero();
        assertThat(r.out()).isEqualTo("n=3" + System.lineSeparator());
        assertThat(run(cl, "fake", "run", "--n=4").out()).contains("n=4");
        assertThat(p.built).isEqualTo(1);
        Run help = run(cl, "fake", "run", "--help");
        assertThat(help.code()).isZero();
        assertThat(help.out()).contains("Usage: top fake run").contains("--n");
        assertThat(run(cl, "help", "fake").out()).contains("Usage: top fake").contains("run  Prints its option.");
        Run bad = run(cl, "fake", "run", "--n", "-1");
        assertThat(bad.code()).isEqualTo(ErrorCode.INVALID_INPUT.exitCode());
        assertThat(bad.err()).startsWith("error: --n must be ≥ 0").doesNotContain("at org.");
        assertThat(run(cl, "fake", "nope").code()).isEqualTo(ErrorCode.INVALID_INPUT.exitCode());
    }

    @Test
    void inheritedHelpOptionsDoNotHideTheMessage() {
        CommandLine cl = new CommandLine(new InheritingRoot());
        ExitCodes.install(cl);
        CommandPlugins.install(cl);
        Run r = run(cl, "bench", "--help");
        assertThat(r.code()).isEqualTo(ErrorCode.NOT_FOUND.exitCode());
        assertThat(r.err()).startsWith("error: the benchmarks are not installed");
    }
}
