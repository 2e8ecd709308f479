package org.hpcvirt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code hpcvirt completion}: a bash script built from the command tree that bash accepts and that completes. */
class CompletionCommandTest {
    private static String script() {
        CommandLine cl = Main.newCommandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        assertThat(cl.execute("completion")).as(err.toString()).isZero();
        assertThat(err.toString()).isEmpty();
        return out.toString();
    }

    private record Bash(int code, String out, String err) {
    }

    private static Bash bash(Path dir, String... args) throws Exception {
        Process p = new ProcessBuilder(args).directory(dir.toFile()).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("bash finished").isTrue();
        return new Bash(p.exitValue(), out, err);
    }

    @Test
    void scriptMentionsEveryTopLevelCommandAndRegistersTheCompletion() {
        String s = script();
        assertThat(s).startsWith("#!/usr/bin/env bash").contains("complete -F _complete_hpcvirt").contains("hpcvirt");
        for (String name : Main.newCommandLine().getSubcommands().keySet()) {
            assertThat(s).as("mentions %s", name).contains(name);
        }
        // nested commands too: the script is generated from the whole tree
        assertThat(s).contains("exec").contains("explain").contains("--shell");
    }

    @Test
    void bashAcceptsTheScript(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("hpcvirt-completion.bash");
        Files.writeString(f, script(), StandardCharsets.UTF_8);
        Bash syntax = bash(dir, "bash", "-n", f.toString());
        assertThat(syntax.code()).as("bash -n: %s", syntax.err()).isZero();
        assertThat(syntax.err()).isEmpty();
    }

    @Test
    void sourcedScriptCompletesSubcommands(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("hpcvirt-completion.bash");
        Files.writeString(f, script(), StandardCharsets.UTF_8);
        // What bash does on "hpcvirt vm ex<TAB>": call the registered function with COMP_WORDS set.
        String driver = "source " + f + "\n"
                + "complete -p hpcvirt\n"
                + "COMP_WORDS=(hpcvirt vm ex); COMP_CWORD=2; COMP_LINE='hpcvirt vm ex'; COMP_POINT=${#COMP_LINE}\n"
                + "_complete_hpcvirt hpcvirt ex vm\n"
                + "printf 'candidate:%s\\n' \"${COMPREPLY[@]}\"\n";
        Bash r = bash(dir, "bash", "-c", driver);
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("_complete_hpcvirt").contains("candidate:exec");
    }
}
