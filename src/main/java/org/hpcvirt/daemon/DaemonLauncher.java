package org.hpcvirt.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.vm.NodeLayout;

/**
 * Starting and stopping a node's daemon process from a client (the CLI's on-demand daemon, tests,
 * benchmarks): a detached {@code hpcvirt daemon run} with this process's Java and class path, and a
 * stop that waits until the socket no longer answers. Stateless; thread-safe.
 */
final class DaemonLauncher {
    private static final Duration DAEMON_START = Duration.ofSeconds(30);

    private DaemonLauncher() {
    }

    /**
     * Like {@link #spawnDaemon(NodeLayout)} with extra environment variables for the daemon (e.g.
     * {@link TcpListener#ENV_LISTEN} and {@link TcpListener#ENV_TOKEN_FILE}).
     */
    static long spawn(NodeLayout layout, Map<String, String> env) {
        layout.ensure();
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of("setsid", java, "-Dhpcvirt.home=" + layout.home(), "-Xmx256m", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), "org.hpcvirt.cli.Main", "daemon", "run"));
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(layout.daemonLog().toFile()));
        pb.environment().put("HPCVIRT_HOME", layout.home().toString());
        pb.environment().putAll(env);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.DAEMON_UNAVAILABLE, "cannot start the daemon", e);
        }
        long deadline = System.nanoTime() + DAEMON_START.toNanos();
        while (!DaemonProbe.answers(layout.daemonSocket())) {
            if (!p.isAlive()) {
                throw new HpcvirtException(ErrorCode.DAEMON_UNAVAILABLE, "the daemon exited at start (" + p.exitValue()
                        + "); see " + layout.daemonLog() + ": " + lastLine(layout.daemonLog()));
            }
            if (System.nanoTime() > deadline) {
                throw new HpcvirtException(ErrorCode.DAEMON_UNAVAILABLE, "the daemon did not answer within "
                        + DAEMON_START.toSeconds() + " s; see " + layout.daemonLog());
            }
            LockSupport.parkNanos(50_000_000L);
        }
        return p.pid();
    }

    private static String lastLine(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return lines.isEmpty() ? "(empty)" : lines.get(lines.size() - 1);
        } catch (IOException e) {
            return "(unreadable)";
        }
    }

    /**
     * Asks the daemon serving {@code layout} to stop and waits until it no longer answers (its VMs
     * keep running). Returns at once if none runs.
     *
     * @throws HpcvirtException TIMEOUT if it still answers after {@code timeout}
     */
    static void stop(NodeLayout layout, Duration timeout) {
        if (!DaemonProbe.answers(layout.daemonSocket())) {
            return;
        }
        try (DaemonClient c = new DaemonClient(layout.daemonSocket())) {
            c.stopDaemon();
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (DaemonProbe.answers(layout.daemonSocket())) {
            if (System.nanoTime() > deadline) {
                throw new HpcvirtException(ErrorCode.TIMEOUT, "hpcvirtd still answers " + timeout.toSeconds()
                        + " s after it was asked to stop");
            }
            LockSupport.parkNanos(50_000_000L);
        }
    }
}
