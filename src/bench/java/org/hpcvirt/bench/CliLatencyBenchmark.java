package org.hpcvirt.bench;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.hpcvirt.api.DirectoryTree;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.client.UnixHttp;
import org.hpcvirt.daemon.DaemonClient;
import org.hpcvirt.vm.NodeLayout;

/**
 * Wall time of {@code hpcvirt vm list} as a user runs it (the launcher script, a new JVM each time)
 * against a running daemon, side by side with the same request sent raw over the daemon's Unix
 * socket ({@code curl --unix-socket} when curl is installed, else one in-process {@link UnixHttp}
 * request). Runs alternate between the two, after warm-up runs that are not counted (the first
 * launcher run may build the start-up archive). The daemon runs in a temporary
 * {@code HPCVIRT_HOME} with a few defined (not started) VMs and is stopped at the end, also on
 * failure.
 */
public final class CliLatencyBenchmark {
    /** The goal for {@code hpcvirt vm list} against a running daemon. */
    public static final double GOAL_MS = 300;
    private static final int WARM_UP = 2;
    private static final Duration RUN_TIMEOUT = Duration.ofSeconds(120);

    private final Path launcher;
    private final int runs;
    private final int vms;
    private final PrintWriter out;

    public CliLatencyBenchmark(Path launcher, int runs, int vms, PrintWriter out) {
        if (runs < 1 || runs > 1000) {
            throw HpcvirtException.invalid("--runs must be between 1 and 1000, not " + runs);
        }
        if (vms < 0 || vms > 100) {
            throw HpcvirtException.invalid("--vms must be between 0 and 100, not " + vms);
        }
        if (!Files.isExecutable(launcher)) {
            throw HpcvirtException.invalid("no executable launcher " + launcher + " (run from the source tree or pass --launcher)");
        }
        this.launcher = launcher;
        this.runs = runs;
        this.vms = vms;
        this.out = out;
    }

    /** Runs the benchmark; returns {hpcvirt median ms, raw median ms}. */
    public double[] run() throws IOException, InterruptedException {
        NodeLayout layout = new NodeLayout(Files.createTempDirectory(Path.of("/tmp"), "hvl")).ensure();
        long daemonPid = -1;
        List<Double> cli = new ArrayList<>();
        List<Double> raw = new ArrayList<>();
        Path curl = onPath("curl");
        String rawName = curl != null ? "curl --unix-socket" : "in-process SocketChannel (no curl)";
        String load0 = BenchHost.loadAverage();
        try {
            daemonPid = DaemonClient.spawnDaemon(layout);
            try (DaemonClient c = new DaemonClient(layout.daemonSocket())) {
                for (int i = 1; i <= vms; i++) {
                    c.define("name: lat" + i + "\nbackend: qemu\ncpus: 1\nmemory: 128M\n", "lat" + i + ".yaml");
                }
            }
            out.printf("cli benchmark: '%s vm list' (a new JVM per run) vs GET /v1/vms with %s; daemon pid %d in %s, %d VMs defined;"
                    + " %d runs each after %d warm-up, alternating; load average %s%n", launcher, rawName, daemonPid, layout.home(), vms,
                    runs, WARM_UP, load0);
            out.flush();
            for (int i = -WARM_UP; i < runs; i++) {
                double h = timeCli(layout);
                double r = curl != null ? timeCurl(curl, layout) : timeInProcess(layout);
                if (i >= 0) {
                    cli.add(h);
                    raw.add(r);
                    out.printf("  run %2d: hpcvirt %6.0f ms, raw %6.1f ms%n", i + 1, h, r);
                } else {
                    out.printf("  warm-up: hpcvirt %6.0f ms, raw %6.1f ms%n", h, r);
                }
                out.flush();
            }
        } finally {
            stopDaemon(layout, daemonPid);
            DirectoryTree.deleteQuietly(layout.home());
        }
        double h = Stats.median(cli);
        double r = Stats.median(raw);
        out.printf("%n'vm list' against a running daemon (median of %d; load average %s at the start, %s at the end)%n", runs, load0,
                BenchHost.loadAverage());
        out.printf("  %-44s %7.0f ms  (min %.0f, max %.0f)%n", "hpcvirt vm list (new JVM):", h, Stats.min(cli), Stats.max(cli));
        out.printf("  %-44s %7.1f ms  (min %.1f, max %.1f)%n", "raw GET /v1/vms (" + rawName + "):", r, Stats.min(raw), Stats.max(raw));
        out.printf("  %-44s %7.1f×%n", "ratio hpcvirt / raw:", h / r);
        out.printf("  %-44s %s%n", "goal hpcvirt vm list ≤ " + Math.round(GOAL_MS) + " ms:", h <= GOAL_MS ? "met" : "MISSED");
        out.flush();
        return new double[] {h, r};
    }

    /** One {@code launcher vm list} in a new process; checks it listed the VMs. */
    private double timeCli(NodeLayout layout) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(launcher.toString(), "vm", "list").redirectErrorStream(true);
        pb.environment().put("HPCVIRT_HOME", layout.home().toString());
        long t0 = System.nanoTime();
        String o = runToEnd(pb);
        double ms = (System.nanoTime() - t0) / 1e6;
        if (!o.startsWith("NAME") || (vms > 0 && !o.contains("lat" + vms))) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "'" + launcher + " vm list' printed: " + o.strip());
        }
        return ms;
    }

    /** One {@code curl --unix-socket SOCK http://localhost/v1/vms} in a new process; checks the body. */
    private double timeCurl(Path curl, NodeLayout layout) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(curl.toString(), "-sS", "--unix-socket", layout.daemonSocket().toString(),
                "http://localhost/v1/vms").redirectErrorStream(true);
        long t0 = System.nanoTime();
        String o = runToEnd(pb);
        double ms = (System.nanoTime() - t0) / 1e6;
        checkBody(o);
        return ms;
    }

    /** The same request from this JVM over a {@code SocketChannel}: no process start at all. */
    private double timeInProcess(NodeLayout layout) throws IOException {
        long t0 = System.nanoTime();
        UnixHttp.Response r = UnixHttp.send(layout.daemonSocket(), "GET", "/v1/vms", null, Map.of(), RUN_TIMEOUT);
        double ms = (System.nanoTime() - t0) / 1e6;
        checkBody(r.bodyText());
        return ms;
    }

    private void checkBody(String body) {
        if (!body.startsWith("[") || (vms > 0 && !body.contains("\"lat" + vms + "\""))) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "GET /v1/vms answered: " + body.strip());
        }
    }

    private static String runToEnd(ProcessBuilder pb) throws IOException, InterruptedException {
        Process p = pb.start();
        String o = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(RUN_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new HpcvirtException(ErrorCode.TIMEOUT, String.join(" ", pb.command()) + " did not end within " + RUN_TIMEOUT);
        }
        if (p.exitValue() != 0) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, String.join(" ", pb.command()) + " exited " + p.exitValue() + ": "
                    + o.strip());
        }
        return o;
    }

    /** Asks the daemon to stop; kills it if it is still there after that. */
    private void stopDaemon(NodeLayout layout, long pid) {
        try {
            DaemonClient.stop(layout, Duration.ofSeconds(15));
        } catch (RuntimeException e) {
            out.println("daemon did not stop when asked (" + e.getMessage() + "); killing it");
        }
        // the daemon we spawned, also when spawning it failed half-way: its command line names this home
        String marker = "-Dhpcvirt.home=" + layout.home();
        BenchHost.kill(pid, marker);
    }

    private static Path onPath(String tool) {
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(File.pathSeparator)) {
                Path p = Path.of(dir.isEmpty() ? "." : dir, tool);
                if (Files.isExecutable(p)) {
                    return p;
                }
            }
        }
        return null;
    }
}
