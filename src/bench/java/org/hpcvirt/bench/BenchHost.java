package org.hpcvirt.bench;

import org.hpcvirt.api.HpcvirtException;

import org.hpcvirt.api.ErrorCode;

import java.util.Map;

import java.util.List;

import java.util.ArrayList;

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

    /** Runs {@code script args} (or {@code args} alone when script is null) and returns its output; fails on a non-zero exit or after 5 minutes. */
    static String tool(Path script, List<String> args, Map<String, String> env) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        if (script != null) {
            cmd.add(script.toString());
        }
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        byte[] o = p.getInputStream().readAllBytes();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly().waitFor();
        }
        String s = new String(o, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, String.join(" ", cmd) + " failed: " + s.strip());
        }
        return s;
    }
}
