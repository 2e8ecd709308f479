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

    @Command(name = "top", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT)
    static final class InheritingRoot implements Runnable {
        @Override
        public void run() {
        }
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
