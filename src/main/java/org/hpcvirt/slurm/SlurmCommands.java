package org.hpcvirt.slurm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs Slurm's own commands ({@code scontrol}, {@code scancel}, {@code sbatch}) from PATH with the
 * environment of this process (so {@code SLURM_CONF} applies). Thread-safe.
 */
public interface SlurmCommands {
    /**
     * Output and exit code of one command.
     *
     * @param exitCode its exit code (-1: it could not run or did not end in time)
     * @param output   stdout and stderr together
     */
    record Result(int exitCode, String output) {
    }

    /** Runs {@code argv} and waits at most 60 s. */
    Result run(List<String> argv);

    /** The real commands. */
    SlurmCommands REAL = withEnvironment(java.util.Map.of());

    /**
     * The real commands with {@code extra} added to this process's environment, e.g. the
     * {@code SLURM_CONF} of the hook a daemon runs for slurmd.
     */
    static SlurmCommands withEnvironment(java.util.Map<String, String> extra) {
        java.util.Map<String, String> env = java.util.Map.copyOf(extra);
        return argv -> run(argv, env);
    }

    private static Result run(List<String> argv, java.util.Map<String, String> extra) {
        try {
            ProcessBuilder b = new ProcessBuilder(new ArrayList<>(argv)).redirectErrorStream(true);
            b.environment().putAll(extra);
            Process p = b.start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, argv.get(0) + " did not end within 60 s");
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new Result(-1, "cannot run " + argv.get(0) + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }
}
