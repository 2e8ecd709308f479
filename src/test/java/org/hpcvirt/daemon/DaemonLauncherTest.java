package org.hpcvirt.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class DaemonLauncherTest {
    @Test
    void optionsFileIsReadAsJavaReadsAnArgumentFile() {
        assertThat(DaemonLauncher.parseOptions("# the daemon\n-Xmx1g   # heap\n\n  -XX:+UseSerialGC\t-Xss1m\n#-Xint\n"))
                .containsExactly("-Xmx1g", "-XX:+UseSerialGC", "-Xss1m");
    }

    @Test
    void theDaemonsOptionsComeFromTheClassPath() {
        assertThat(DaemonLauncher.jvmOptions()).isNotEmpty().allMatch(o -> o.startsWith("-"));
    }

    @Test
    void thisJvmAcceptsTheDaemonsOptions() throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java")));
        cmd.addAll(DaemonLauncher.jvmOptions());
        cmd.add("-version");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
    }
}
