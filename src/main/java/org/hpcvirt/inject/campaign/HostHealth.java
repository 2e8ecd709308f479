package org.hpcvirt.inject.campaign;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A bounded probe of the host's health: how long fork+exec of {@code /bin/true} takes, available memory
 * ({@code /proc/meminfo}) and the 1-minute load ({@code /proc/loadavg}). A host is healthy when
 * {@code /bin/true} ran and exited 0 within {@link #MAX_TRUE_MS} and at least {@link #MIN_AVAILABLE_BYTES}
 * are available. Load is recorded, not judged: TCG keeps a small host busy on purpose.
 *
 * @param trueLatencyMs     fork+exec+wait of /bin/true, or -1 if it failed or took over 5 s
 * @param memAvailableBytes MemAvailable, or -1 if unreadable
 * @param load1             1-minute load average, or -1
 * @param healthy           the verdict
 * @param problem           why not healthy, or ""
 */
public record HostHealth(long trueLatencyMs, long memAvailableBytes, double load1, boolean healthy, String problem) {
    /** Longest acceptable fork+exec of /bin/true. */
    public static final long MAX_TRUE_MS = 2000;
    /** Least acceptable available memory. */
    public static final long MIN_AVAILABLE_BYTES = 64L << 20;

    /** Takes one sample (at most ~5 s). */
    public static HostHealth sample() {
        long latency = forkExecTrueMs();
        long avail = readMemAvailable();
        double load = readLoad1();
        String problem = "";
        if (latency < 0) {
            problem = "/bin/true did not run within 5 s";
        } else if (latency > MAX_TRUE_MS) {
            problem = "/bin/true took " + latency + " ms";
        } else if (avail >= 0 && avail < MIN_AVAILABLE_BYTES) {
            problem = "only " + (avail >> 20) + " MiB available";
        }
        return new HostHealth(latency, avail, load, problem.isEmpty(), problem);
    }

    private static long forkExecTrueMs() {
        long t0 = System.nanoTime();
        try {
            Process p = new ProcessBuilder("/bin/true").redirectErrorStream(true).start();
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return -1;
            }
            return p.exitValue() == 0 ? (System.nanoTime() - t0) / 1_000_000 : -1;
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static long readMemAvailable() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    return Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // unreadable: not judged
        }
        return -1;
    }

    private static double readLoad1() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
