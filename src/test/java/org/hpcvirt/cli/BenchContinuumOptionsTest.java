package org.hpcvirt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.bench.cli.BenchPlugin;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code hpcvirt bench continuum}: help, and a one-line error for each bad option before anything boots. */
class BenchContinuumOptionsTest {
    private static String[] run(String... args) {
        CommandLine cl = new CommandLine(new Main());
        ExitCodes.install(cl);
        CommandPlugins.install(cl, List.of(new BenchPlugin()));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new String[] {Integer.toString(code), out.toString(), err.toString()};
    }

    @Test
    void helpNamesEveryOption() {
        String[] r = run("bench", "continuum", "--help");
        assertThat(r[0]).isEqualTo("0");
        assertThat(r[1]).startsWith("Usage: hpcvirt bench continuum").contains("--runs").contains("--out").contains("--backends")
                .contains("--record").contains("--scale").contains("--fault-runs").contains("--isolation");
    }

    @Test
    void badOptionsAreOneLineErrors() {
        String invalid = Integer.toString(ErrorCode.INVALID_INPUT.exitCode());
        String[][] cases = {
                {"--runs", "0", "error: --runs must be 1..100, not 0"},
                {"--scale", "20", "error: --scale must be 0.001..10, not 20.0"},
                {"--fault-runs", "-1", "error: --fault-runs must be 0..100, not -1"},
                {"--round-trips", "0", "error: --round-trips must be 1..10000, not 0"},
                {"--isolation", "strict,loose", "error: --isolation: unknown isolation level 'loose'"},
                {"--backends", "native,qemu,xen", "error: --backends: unknown backend 'xen' (known: "},
        };
        for (String[] c : cases) {
            String[] r = run("bench", "continuum", c[0], c[1]);
            assertThat(r[0]).as(c[0]).isEqualTo(invalid);
            assertThat(r[2]).as(c[0]).startsWith(c[2]).doesNotContain("at org.");
            assertThat(r[2].strip().lines().count()).as(c[0]).isEqualTo(1);
        }
        String[] typo = run("bench", "continuum", "--runs", "three");
        assertThat(typo[0]).isNotEqualTo("0");
        assertThat(typo[2]).contains("--runs").contains("three").doesNotContain("at org.");
    }
}
