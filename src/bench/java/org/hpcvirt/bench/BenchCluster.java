package org.hpcvirt.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The namespaced Slurm cluster of a benchmark, through {@code scripts/slurm-cluster.sh}: a fresh
 * directory under /tmp for it ({@link #freshDir}), the script's verbs ({@link #run}), and
 * {@link #down}, which keeps the cluster's logs under {@code OUT/cluster-log} and takes the cluster
 * down, at most once (a benchmark calls it when done and from its shutdown hook). Thread-safe.
 */
final class BenchCluster {
    private static final Duration SCRIPT_DEADLINE = Duration.ofSeconds(300);

    private final Path script;
    private final Path out;
    private final PrintWriter log;
    private final String name;
    private Path dir;

    /**
     * @param script the cluster script
     * @param out    the benchmark's output directory (the logs go to {@code OUT/cluster-log})
     * @param log    where the script's {@code down} line and failures go
     * @param name   the benchmark's name in those lines ({@code bench vse})
     */
    BenchCluster(Path script, Path out, PrintWriter log, String name) {
        this.script = script;
        this.out = out;
        this.log = log;
        this.name = name;
    }

    /** A fresh, not yet existing directory {@code /tmp/PREFIX…} for the cluster (the script refuses one it did not make). */
    synchronized Path freshDir(String prefix) throws IOException {
        Path d = Files.createTempDirectory(Path.of("/tmp"), prefix);
        Files.delete(d);
        dir = d;
        return d;
    }

    /** Runs the script with {@code args}; its output, or IllegalStateException with it when it fails or hangs. */
    String run(String... args) {
        List<String> cmd = new ArrayList<>(List.of(script.toString()));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getOutputStream().close();
            byte[] b = p.getInputStream().readAllBytes();
            if (!p.waitFor(SCRIPT_DEADLINE.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", cmd) + " did not finish in " + SCRIPT_DEADLINE.toSeconds() + " s");
            }
            String text = new String(b, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new IllegalStateException(script.getFileName() + " " + String.join(" ", args) + " failed (exit " + p.exitValue()
                        + "): " + text.strip());
            }
            return text;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + script + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Keeps the cluster's logs and takes it down; does nothing the second time. */
    synchronized void down() {
        if (dir == null) {
            return;
        }
        Path to = out.resolve("cluster-log");
        try (var files = Files.list(dir.resolve("log"))) {
            Files.createDirectories(to);
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Files.copy(f, to.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | RuntimeException e) {
            log.println(name + ": could not keep the cluster's logs in " + to + ": " + e.getMessage());
        }
        try {
            log.println(run("down", "--dir", dir.toString()).strip());
        } catch (RuntimeException e) {
            log.println(name + ": taking the cluster down failed: " + e.getMessage());
        }
        log.flush();
        dir = null;
    }
}
