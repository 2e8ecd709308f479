package org.hpcvirt.metrics;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The daemon process's resident memory and CPU time, read from {@code /proc/self} (Linux). The
 * CPU fields of {@code /proc/self/stat} count in USER_HZ ticks, which the kernel's ABI fixes at 100
 * per second. Reading never blocks on anything but procfs; a value that cannot be read is NaN.
 * Stateless.
 */
public final class ProcessStats {
    /** Clock ticks per second of {@code /proc/PID/stat}'s utime and stime (USER_HZ). */
    static final double TICKS_PER_SECOND = 100.0;

    private final Path proc;

    /** The statistics of this process. */
    public ProcessStats() {
        this(Path.of("/proc/self"));
    }

    /** The statistics of the process whose procfs directory is {@code proc} (tests). */
    ProcessStats(Path proc) {
        this.proc = proc;
    }

    /** Resident set size in bytes ({@code VmRSS} of {@code status}), or NaN. */
    public double residentBytes() {
        try {
            for (String line : Files.readAllLines(proc.resolve("status"), StandardCharsets.ISO_8859_1)) {
                if (line.startsWith("VmRSS:")) {
                    String[] f = line.substring(6).trim().split("\\s+");
                    long kib = Long.parseLong(f[0]);
                    return f.length > 1 && f[1].equalsIgnoreCase("kB") ? kib * 1024.0 : kib;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or an unexpected format
        }
        return Double.NaN;
    }

    /** User plus system CPU time in seconds ({@code utime + stime} of {@code stat}), or NaN. */
    public double cpuSeconds() {
        try {
            String stat = Files.readString(proc.resolve("stat"), StandardCharsets.ISO_8859_1);
            // the command name (field 2) is in parentheses and may contain spaces: count from after it
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
            // f[0] is field 3 (state); utime and stime are fields 14 and 15
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS_PER_SECOND;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }
}
