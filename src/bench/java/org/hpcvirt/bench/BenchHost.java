package org.hpcvirt.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** What the benchmarks read of and do to this host: its load, and killing what a benchmark left running. Stateless. */
final class BenchHost {
    private BenchHost() {
    }

    /** The 1, 5 and 15 minute load averages, or "unknown". */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    /**
     * Kills {@code pid} and every process whose command line contains {@code marker} (e.g. a
     * benchmark's temporary home), and waits up to 10 s for each to be gone.
     */
    static void kill(long pid, String marker) {
        ProcessHandle.allProcesses().filter(ph -> ph.pid() == pid || commandLine(ph).contains(marker)).forEach(ph -> {
            ph.destroyForcibly();
            ph.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(t -> ph).join();
        });
    }

    private static String commandLine(ProcessHandle ph) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(ph.pid()), "cmdline")), StandardCharsets.UTF_8)
                    .replace('\0', ' ');
        } catch (IOException | RuntimeException e) {
            return ""; // gone, or not ours to read
        }
    }
}
