package org.hpcvirt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * {@code vm exec} refuses contradictory or missing commands with exit code 2 before it contacts a
 * daemon (the daemon-backed behaviour is in CliIT).
 */
class ExecCommandTest {
    private static CliTest.Run run(String... args) {
        return CliTest.run(args);
    }

    @Test
    void programAndShellTogetherAreRefused() {
        CliTest.Run r = run("vm", "exec", "vm1", "--shell", "echo a; echo b", "--", "ls", "-l");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("error: exec: give either PROGRAM [ARG...] or --shell 'CMD', not both\n");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void neitherProgramNorShellIsRefused() {
        CliTest.Run r = run("vm", "exec", "vm1");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: exec: no command given").contains("--shell 'CMD'").doesNotContain("\tat ");
    }

    @Test
    void emptyShellOrProgramIsRefused() {
        assertThat(run("vm", "exec", "vm1", "--shell", " ").err()).isEqualTo("error: exec: --shell needs a command line\n");
        assertThat(run("vm", "exec", "vm1", "--", "").err()).isEqualTo("error: exec: the program name is empty\n");
        assertThat(run("vm", "exec", "vm1", "--timeout", "0", "--", "true").code()).isEqualTo(2);
    }

    @Test
    void usageNamesBothForms() {
        CliTest.Run r = run("vm", "exec", "--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("NAME [PROGRAM]").contains("[ARG...]").contains("--shell=CMD").contains("no shell");
    }
}
