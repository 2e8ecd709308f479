package org.hpcvirt.it;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.hpcvirt.cli.Main;
import picocli.CommandLine;

/**
 * The CLI run inside the test's JVM (its home is the system property {@code hpcvirt.home} the test
 * set), with what it printed and its exit code. For ITs that run many short commands against one
 * node, where a JVM per command would cost seconds.
 */
final class InProcessCli {
    private InProcessCli() {
    }

    /** What one command printed and returned. */
    record Run(int code, String out, String err) {
    }

    /** Runs {@code hpcvirt ARGS} in this JVM. */
    static Run hpcvirt(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.newCommandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }
}
