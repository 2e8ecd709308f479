package org.hpcvirt.daemon;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
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
 * benchmarks): a detached {@code hpcvirt daemon run} with this process's Java and class path and the
 * daemon's JVM options ({@link #JVM_OPTIONS_RESOURCE}), and a stop that waits until the socket no
 * longer answers. Stateless; thread-safe.
 */
final class DaemonLauncher {
    /**
     * The class-path resource with the daemon's JVM options, the one place they are written;
     * {@code bin/hpcvirt daemon run} passes the same file to java as an {@code @argument} file.
     */
    static final String JVM_OPTIONS_RESOURCE = "org/hpcvirt/daemon/jvm.options";
    private static final Duration DAEMON_START = Duration.ofSeconds(30);

    private DaemonLauncher() {
    }

    /**
     * Like {@link #spawnDaemon(NodeLayout)} with extra environment variables for the daemon (e.g.
     * {@link TcpListener#ENV_LISTEN} and {@link TcpListener#ENV_TOKEN_FILE}).
     */
    static long spawn(NodeLayout layout, Map<String, String> env) {
        return spawn(layout, env, jvmOptions());
    }

    /** Like {@link #spawn(NodeLayout, Map)} with {@code jvmOptions} instead of the daemon's own. */
    static long spawn(NodeLayout layout, Map<String, String> env, List<String> jvmOptions) {
        layout.ensure();
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of("setsid", java, "-Dhpcvirt.home=" + layout.home()));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "org.hpcvirt.cli.Main", "daemon", "run"));
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

    /**
     * The daemon's JVM options as {@link #JVM_OPTIONS_RESOURCE} lists them.
     *
     * @throws HpcvirtException OPERATION_FAILED if the resource is missing (a broken build)
     */
    static List<String> jvmOptions() {
        try (InputStream in = DaemonLauncher.class.getClassLoader().getResourceAsStream(JVM_OPTIONS_RESOURCE)) {
            if (in == null) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "the class path has no " + JVM_OPTIONS_RESOURCE);
            }
            return parseOptions(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot read " + JVM_OPTIONS_RESOURCE, e);
        }
    }

    /**
     * The options of an options file as java reads an {@code @argument} file without quotes: tokens
     * separated by white space, {@code #} to the end of the line a comment.
     */
    static List<String> parseOptions(String text) {
        List<String> opts = new ArrayList<>();
        for (String line : text.split("\n")) {
            int hash = line.indexOf('#');
            String code = (hash >= 0 ? line.substring(0, hash) : line).strip();
            if (!code.isEmpty()) {
                opts.addAll(List.of(code.split("\\s+")));
            }
        }
        return List.copyOf(opts);
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
     * keep running). Returns false at once if none runs. No step waits longer than {@code timeout}:
     * a daemon that accepts connections but does not answer is reported, not waited for.
     *
     * @return whether a daemon was running and is now stopped
     * @throws HpcvirtException TIMEOUT if it does not answer, or still answers after {@code timeout}
     */
    static boolean stop(NodeLayout layout, Duration timeout) {
        Path socket = layout.daemonSocket();
        if (!DaemonProbe.answers(socket, timeout)) {
            if (DaemonProbe.accepts(socket)) {
                throw wedged(layout, timeout, "accepts connections on " + socket + " but does not answer");
            }
            return false;
        }
        try (DaemonClient c = new DaemonClient(socket, timeout)) {
            c.stopDaemon();
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (DaemonProbe.answers(socket, timeout)) {
            if (System.nanoTime() > deadline) {
                throw wedged(layout, timeout, "still answers " + timeout.toSeconds() + " s after it was asked to stop");
            }
            LockSupport.parkNanos(50_000_000L);
        }
        return true;
    }

    private static HpcvirtException wedged(NodeLayout layout, Duration timeout, String what) {
        String pid;
        try {
            pid = Files.readString(layout.daemonPidFile()).strip();
        } catch (IOException e) {
            pid = null;
        }
        return new HpcvirtException(ErrorCode.TIMEOUT, "hpcvirtd" + (pid == null ? "" : " (pid " + pid + ")") + " " + what
                + " (waited " + timeout.toSeconds() + " s); stop it with kill" + (pid == null ? " (see fuser " + layout.daemonSocket() + ")" : " " + pid)
                + ": its VMs keep running and the next daemon re-attaches them");
    }
}
