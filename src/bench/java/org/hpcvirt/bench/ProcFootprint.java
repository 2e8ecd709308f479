package org.hpcvirt.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/**
 * One reading of a process's footprint from /proc: resident set ({@code VmRSS} of
 * {@code /proc/PID/status}), proportional set ({@code Pss} of {@code /proc/PID/smaps_rollup}), CPU
 * time used so far ({@code utime + stime} of {@code /proc/PID/stat}, in clock ticks) and its number
 * of threads. The process alone: not its children.
 */
record ProcFootprint(long rssKiB, long pssKiB, long cpuTicks, int threads) {
    private static final long CLOCK_TICKS = clockTicks();

    /** Reads process {@code pid}. @throws HpcvirtException OPERATION_FAILED if it is gone or unreadable */
    static ProcFootprint read(long pid) {
        Path proc = Path.of("/proc", Long.toString(pid));
        try {
            String status = Files.readString(proc.resolve("status"));
            String rollup = Files.readString(proc.resolve("smaps_rollup"));
            String stat = Files.readString(proc.resolve("stat"));
            // the fields after the command name, which may hold spaces and parentheses itself
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return new ProcFootprint(kib(status, "VmRSS:"), kib(rollup, "Pss:"), Long.parseLong(f[11]) + Long.parseLong(f[12]),
                    (int) kib(status, "Threads:"));
        } catch (IOException | RuntimeException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot read /proc/" + pid + " (has the process exited?)", e);
        }
    }

    /** The number after {@code key} at the start of a line of {@code text} ("VmRSS:   1234 kB" → 1234). */
    static long kib(String text, String key) {
        for (String line : text.split("\n")) {
            if (line.startsWith(key)) {
                return Long.parseLong(line.substring(key.length()).strip().split("\\s+")[0]);
            }
        }
        throw new IllegalArgumentException("no " + key);
    }

    /** CPU used between {@code earlier} and this reading over {@code seconds} of wall time, in percent of one core. */
    double cpuPercentSince(ProcFootprint earlier, double seconds) {
        return 100.0 * (cpuTicks - earlier.cpuTicks) / CLOCK_TICKS / seconds;
    }

    /** The kernel's clock ticks per second ({@code getconf CLK_TCK}); 100 when it cannot be asked. */
    private static long clockTicks() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String s = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            return p.waitFor() == 0 ? Long.parseLong(s) : 100;
        } catch (IOException | RuntimeException e) {
            return 100;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 100;
        }
    }
}
