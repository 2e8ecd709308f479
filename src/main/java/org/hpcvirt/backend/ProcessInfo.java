package org.hpcvirt.backend;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Facts about a host process read from {@code /proc/PID/stat}: its state and its start time, which
 * together with the pid identify a process across pid reuse. Stateless and thread-safe.
 *
 * @param pid        the process id
 * @param state      the state letter (R, S, D, Z, T, …)
 * @param startTicks start time after boot in clock ticks (field 22)
 */
public record ProcessInfo(long pid, char state, long startTicks) {

    /** The process's current facts, or empty if there is no such process. */
    public static Optional<ProcessInfo> of(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            int close = stat.lastIndexOf(')');
            String[] f = stat.substring(close + 2).split(" ");
            // f[0] is field 3 (state); field 22 is f[19]
            return Optional.of(new ProcessInfo(pid, f[0].charAt(0), Long.parseLong(f[19])));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** True if a live (non-zombie) process with this pid exists and, when {@code startTicks > 0}, started then. */
    public static boolean isAlive(long pid, long startTicks) {
        return of(pid).filter(p -> p.state != 'Z' && p.state != 'X')
                .filter(p -> startTicks <= 0 || p.startTicks == startTicks)
                .isPresent();
    }
}
