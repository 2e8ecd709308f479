package org.hpcvirt.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.vm.NodeLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DaemonLauncherTest {
    @TempDir
    java.nio.file.Path home;

    @Test
    void stoppingWhereNoDaemonRunsSaysSo() {
        assertThat(DaemonLauncher.stop(new NodeLayout(home), java.time.Duration.ofSeconds(1))).isFalse();
    }

    @Test
    @org.junit.jupiter.api.Timeout(60) // the old code waited 15 minutes here
    void aDaemonThatAcceptsButNeverAnswersIsReportedWithItsPidInsteadOfWaitedFor() throws Exception {
        NodeLayout layout = new NodeLayout(home);
        java.nio.file.Files.writeString(layout.daemonPidFile(), "4242\n");
        try (var server = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            server.bind(java.net.UnixDomainSocketAddress.of(layout.daemonSocket()));
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> DaemonLauncher.stop(layout, java.time.Duration.ofSeconds(1)))
                    .isInstanceOfSatisfying(HpcvirtException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT))
                    .hasMessageContaining("pid 4242").hasMessageContaining("does not answer").hasMessageContaining("kill 4242");
        }
    }
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
