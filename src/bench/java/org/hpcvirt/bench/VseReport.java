package org.hpcvirt.bench;

import java.io.PrintWriter;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The samples of {@code hpcvirt bench vse} and their table: per deployment variant the time from
 * submission to the job script's first line and to its first command having run on every node (in
 * the VMs for a VSE job), median/min/max; then the overheads over bare Slurm against one VM boot +
 * 0.5 s and the cold/snapshot speed-up against the 3× goal. Also parses the marker lines the job
 * script prints ({@link #parseScript}). Not thread-safe; one benchmark run fills one report.
 */
public final class VseReport {
    /** The marker the job script prints with {@code date +%s.%N} as its first line. */
    public static final String START = "hvbench-start";
    /** The marker the job script prints right after its first command returned on every node. */
    public static final String DONE = "hvbench-done";

    private static final Pattern LINE = Pattern.compile("^(" + START + "|" + DONE + ") ([0-9]+\\.[0-9]+)\\s*$", Pattern.MULTILINE);

    /** Host-clock epoch times (ns) a job script printed: its first line and after its first command. */
    public record ScriptTimes(long startNanos, long doneNanos) {
    }

    /** One job: seconds from the submission to the script's first line and to its first command done. */
    public record Sample(double toScriptS, double toDoneS) {
    }

    private final Map<String, List<Sample>> variants = new LinkedHashMap<>();
    private final List<Double> vmBootS = new ArrayList<>();
    private final List<Double> parallelBootS = new ArrayList<>();
    private final List<Double> pinnedBootS = new ArrayList<>();
    private int parallelVms;

    /**
     * The times in a job's output: the {@link #START} and {@link #DONE} lines, each
     * {@code MARKER SECONDS.FRACTION} (the output of {@code date +%s.%N}).
     *
     * @throws IllegalArgumentException naming the source and the marker if one is missing or repeated
     */
    public static ScriptTimes parseScript(String output, String source) {
        Map<String, Long> seen = new LinkedHashMap<>();
        Matcher m = LINE.matcher(output);
        while (m.find()) {
            if (seen.put(m.group(1), epochNanos(m.group(2))) != null) {
                throw new IllegalArgumentException(source + ": '" + m.group(1) + "' appears more than once");
            }
        }
        for (String k : List.of(START, DONE)) {
            if (!seen.containsKey(k)) {
                throw new IllegalArgumentException(source + ": no '" + k + " SECONDS' line (the job script did not get there)");
            }
        }
        return new ScriptTimes(seen.get(START), seen.get(DONE));
    }

    static long epochNanos(String secondsDotFraction) {
        return new BigDecimal(secondsDotFraction).movePointRight(9).longValueExact();
    }

    /** Adds a job of {@code variant} submitted at {@code submitNanos} (host epoch ns) with the times its script printed. */
    public void add(String variant, long submitNanos, ScriptTimes t) {
        variants.computeIfAbsent(variant, k -> new ArrayList<>())
                .add(new Sample((t.startNanos() - submitNanos) / 1e9, (t.doneNanos() - submitNanos) / 1e9));
    }

    /** Adds one VM boot (start request to first heartbeat), in seconds. */
    public void addVmBoot(double seconds) {
        vmBootS.add(seconds);
    }

    /** Adds {@code vms} VM boots at once, one per node (start requests to the last first heartbeat), in seconds. */
    public void addParallelBoot(int vms, double seconds) {
        parallelVms = vms;
        parallelBootS.add(seconds);
    }

    /**
     * Adds {@code vms} VM boots at once, one per node, each pinned to the host core its node's first
     * CPU stands for (as the Prologs pin a one-CPU job's VM), in seconds.
     */
    public void addPinnedParallelBoot(int vms, double seconds) {
        parallelVms = vms;
        pinnedBootS.add(seconds);
    }

    /** The samples of {@code variant}, in the order they were added (empty if none). */
    public List<Sample> samples(String variant) {
        return variants.getOrDefault(variant, List.of());
    }

    double median(String variant, boolean done) {
        return Stats.median(values(variant, done));
    }

    private List<Double> values(String variant, boolean done) {
        return samples(variant).stream().map(s -> done ? s.toDoneS() : s.toScriptS()).toList();
    }

    /**
     * Prints the table and the comparisons. {@code bare}, {@code cold} and {@code snapshot} name the
     * variants compared; every one of them and the VM boots must have samples.
     */
    public void print(PrintWriter out, String bare, String cold, String snapshot) {
        for (String v : List.of(bare, cold, snapshot)) {
            if (samples(v).isEmpty()) {
                throw new IllegalStateException("no samples of '" + v + "'");
            }
        }
        if (vmBootS.isEmpty()) {
            throw new IllegalStateException("no VM boot measured");
        }
        out.printf("%-22s %3s  %-28s  %-28s%n", "variant", "n", "submit -> script's 1st line", "submit -> 1st command done");
        out.printf("%-22s %3s  %-28s  %-28s%n", "", "", "median (min-max) s", "median (min-max) s");
        for (String v : variants.keySet()) {
            out.printf("%-22s %3d  %-28s  %-28s%n", v, samples(v).size(), cell(values(v, false)), cell(values(v, true)));
        }
        out.printf("%-22s %3d  %-28s%n", "one VM boot (node 1)", vmBootS.size(), cell(vmBootS));
        if (!parallelBootS.isEmpty()) {
            out.printf("%-22s %3d  %-28s%n", parallelVms + " VM boots at once", parallelBootS.size(), cell(parallelBootS));
        }
        if (!pinnedBootS.isEmpty()) {
            out.printf("%-22s %3d  %-28s%n", parallelVms + " at once, pinned", pinnedBootS.size(), cell(pinnedBootS));
        }
        double boot = Stats.median(vmBootS);
        double budget = boot + 0.5;
        out.println();
        for (boolean done : new boolean[] {false, true}) {
            String what = done ? "to the 1st command done" : "to the script's 1st line";
            double b = median(bare, done);
            double c = median(cold, done) - b;
            double s = median(snapshot, done) - b;
            out.printf("overhead over bare Slurm, %s: %s +%.2f s, %s +%.2f s; goal for cold boot <= one VM boot + 0.5 s = %.2f s: %s%n",
                    what, cold, c, snapshot, s, budget, c <= budget ? "met" : String.format("not met (%.1f× the budget)", c / budget));
        }
        if (!parallelBootS.isEmpty()) {
            double p = Stats.median(parallelBootS) + 0.5;
            double c = median(cold, false) - median(bare, false);
            out.printf("the same against %d VM boots at once (one per node, as the job's Prologs do) + 0.5 s = %.2f s: cold boot +%.2f s is %.1f× that%n",
                    parallelVms, p, c, c / p);
        }
        if (!pinnedBootS.isEmpty()) {
            double p = Stats.median(pinnedBootS) + 0.5;
            double c = median(cold, false) - median(bare, false);
            out.printf("the same against %d VM boots at once, each pinned to its node's core as the Prologs pin them, + 0.5 s = %.2f s:"
                    + " cold boot +%.2f s is %.1f× that%n", parallelVms, p, c, c / p);
        }
        double total = median(cold, false) / median(snapshot, false);
        double deploy = (median(cold, false) - median(bare, false)) / (median(snapshot, false) - median(bare, false));
        out.printf("cold boot / snapshot, submit -> script's 1st line: %.2f× (the overheads over bare Slurm alone: %.2f×); "
                + "goal >= 3×: %s; Slurm-V reports up to 2.64×%n", total, deploy, total >= 3 ? "met" : "not met");
    }

    private static String cell(List<Double> xs) {
        return String.format("%.2f (%.2f-%.2f)", Stats.median(xs), Stats.min(xs), Stats.max(xs));
    }
}
