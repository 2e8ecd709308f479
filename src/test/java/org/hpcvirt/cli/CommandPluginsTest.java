package org.hpcvirt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.concurrent.Callable;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Plugins join the command tree; without hpcvirt-bench.jar on the class path (the unit tests' case)
 * 'bench' says it is not installed and how to get it, and still answers --help and --version.
 */
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
        for (String[] args : new String[][] {{"bench"}, {"bench", "boot", "--rounds", "3"}, {"bench", "boot", "--help"}}) {
            Run r = run(Main.newCommandLine(), args);
            assertThat(r.code()).as(String.join(" ", args)).isEqualTo(ErrorCode.NOT_FOUND.exitCode());
            assertThat(r.err()).startsWith("error: the benchmarks are not installed")
                    .contains("mvn -B -q package -DskipTests").contains("target/hpcvirt-bench.jar").doesNotContain("at org.");
        }
    }

    @Test
    void theStandInsHelpSaysItIsNotInstalled() {
        assertThat(run(Main.newCommandLine(), "--help").out()).contains("bench ").contains("hpcvirt-bench.jar");
        Run help = run(Main.newCommandLine(), "bench", "--help");
        assertThat(help.code()).isZero();
        assertThat(help.out()).startsWith("Usage: hpcvirt bench").contains("not installed").contains("mvn -B -q package -DskipTests");
    }

    @Command(name = "fake", description = "A plugin's own command.", subcommands = FakeRun.class)
    public static final class Fake implements Runnable {
        @Override
        public void run() {
        }
    }

    @Command(name = "run", description = "Prints its option.")
    public static final class FakeRun implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @CommandLine.Option(names = "--n", defaultValue = "1")
        int n;

        @Override
        public Integer call() {
            if (n < 0) {
                throw HpcvirtException.invalid("--n must be ≥ 0");
            }
            spec.commandLine().getOut().println("n=" + n);
            return 0;
        }
    }

    static final class FakePlugin implements CommandPlugin {
        @Override
        public String name() {
            return "fake";
        }

        @Override
        public Object command() {
            return new Fake();
        }
    }

    @Test
    void aPluginsCommandsJoinTheTreeWithTheRootsOptionsAndErrors() {
        CommandLine cl = new CommandLine(new Main());
        ExitCodes.install(cl);
        CommandPlugins.install(cl, List.of(new FakePlugin()));
        assertThat(run(cl, "--help").out()).contains("fake").contains("A plugin's own command.");
        Run r = run(cl, "fake", "run", "--n", "3");
        assertThat(r.code()).isZero();
        assertThat(r.out()).isEqualTo("n=3" + System.lineSeparator());
        Run help = run(cl, "fake", "run", "--help");
        assertThat(help.code()).isZero();
        assertThat(help.out()).startsWith("Usage: hpcvirt fake run").contains("--n").contains("-h, --help");
        assertThat(run(cl, "fake", "run", "--version").out()).startsWith("hpcvirt ");
        Run bad = run(cl, "fake", "run", "--n", "-1");
        assertThat(bad.code()).isEqualTo(ErrorCode.INVALID_INPUT.exitCode());
        assertThat(bad.err()).startsWith("error: --n must be ≥ 0").doesNotContain("at org.");
    }
}
