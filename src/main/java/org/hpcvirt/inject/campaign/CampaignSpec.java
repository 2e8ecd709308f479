package org.hpcvirt.inject.campaign;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.hpcvirt.api.DataSize;
import org.hpcvirt.api.Durations;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.enclave.IsolationLevel;
import org.hpcvirt.ft.StrictYaml;
import org.hpcvirt.inject.Fault;
import org.hpcvirt.inject.FaultOptions;

/**
 * A validated fault-injection campaign: backends × isolation levels × faults × runs, with a seed,
 * bystander VMs, timeouts and bounded parallelism. Read with {@link #load(Path)} from YAML; unknown
 * fields and bad values are errors that name the field and its line. Immutable.
 *
 * @param name            campaign name (reports)
 * @param backends        backend names, or {@code all} (every registered backend)
 * @param isolation       isolation levels
 * @param faults          faults with their options
 * @param runs            runs per backend × isolation × fault
 * @param seed            seed of every random choice
 * @param bystanders      bystander VMs per backend (0..4)
 * @param parallelism     victims at once (1..host cores)
 * @param memoryBytes     guest RAM of every VM
 * @param image           golden image name
 * @param heartbeatInterval agent heartbeat interval
 * @param heartbeatTimeout  no heartbeat this long = hang
 * @param bootTimeout     longest boot (first heartbeat)
 * @param runTimeout      longest wait for a fault's effect
 * @param hangFactor      a workload slower than this multiple of its golden time counts as a hang
 * @param workloadRounds  rounds of the checksum workload in soft-error runs
 * @param reset           how the victim is reset between runs
 */
public record CampaignSpec(String name, List<String> backends, List<IsolationLevel> isolation, List<FaultOptions> faults,
                           int runs, long seed, int bystanders, int parallelism, long memoryBytes, String image,
                           Duration heartbeatInterval, Duration heartbeatTimeout, Duration bootTimeout, Duration runTimeout,
                           int hangFactor, int workloadRounds, Reset reset) {

    /** How the victim is reset between runs. */
    public enum Reset {
        /** Start a fresh VMM from the state saved once after boot (fast, identical runs). */
        SNAPSHOT,
        /** Boot a fresh VMM for every run (the baseline the benchmark compares with). */
        REBOOT
    }

    /** The YAML file as written (strings, checked by {@link #load}). */
    record File(String name, List<String> backends, List<String> isolation, List<FaultEntry> faults, Integer runs,
                Long seed, Integer bystanders, Integer parallelism, Vm vm, Timeouts timeouts,
                @JsonProperty("workloadRounds") Integer workloadRounds, String reset) {
    }

    /** One entry of {@code faults:}. */
    record FaultEntry(String fault, Map<String, String> options) {
    }

    /** {@code vm:}. */
    record Vm(String memory, String image, String heartbeatInterval, String heartbeatTimeout) {
    }

    /** {@code timeouts:}. */
    record Timeouts(String boot, String run, Integer hangFactor) {
    }

    /**
     * Reads and validates a campaign file.
     *
     * @throws HpcvirtException NOT_FOUND if missing, INVALID_INPUT naming field and line otherwise
     */
    public static CampaignSpec load(Path file) {
        File f = StrictYaml.read(file, File.class);
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw HpcvirtException.invalid(file + ": cannot read: " + e.getMessage());
        }
        return from(f, text, file.toString());
    }

    /** The same campaign with other runs, parallelism, bystanders and reset (for the benchmark). */
    public CampaignSpec with(int newRuns, int newParallelism, int newBystanders, Reset newReset) {
        return new CampaignSpec(name, backends, isolation, faults, newRuns, seed, newBystanders, newParallelism, memoryBytes,
                image, heartbeatInterval, heartbeatTimeout, bootTimeout, runTimeout, hangFactor, workloadRounds, newReset);
    }

    static CampaignSpec from(File f, String text, String source) {
        org.hpcvirt.ft.FieldErrors p = new org.hpcvirt.ft.FieldErrors(text, source);
        String name = f.name() == null || f.name().isBlank() ? "campaign" : f.name();
        if (!name.matches("[A-Za-z0-9._-]{1,64}")) {
            throw p.at("name", "must be 1-64 letters, digits, '.', '_' or '-'");
        }
        List<String> backends = f.backends() == null || f.backends().isEmpty() ? List.of("all") : f.backends();
        for (String b : backends) {
            if (b == null || !b.matches("[a-z][a-z0-9-]{0,31}")) {
                throw p.at("backends", "'" + b + "' is not a backend name");
            }
        }
        List<IsolationLevel> iso = new ArrayList<>();
        for (String s : f.isolation() == null || f.isolation().isEmpty() ? List.of("strict") : f.isolation()) {
            try {
                iso.add(IsolationLevel.parse(s));
            } catch (HpcvirtException e) {
                throw p.at("isolation", e.getMessage());
            }
        }
        if (f.faults() == null || f.faults().isEmpty()) {
            throw p.at("faults", "at least one fault is required");
        }
        List<FaultOptions> faults = new ArrayList<>();
        for (FaultEntry e : f.faults()) {
            if (e == null || e.fault() == null) {
                throw p.at("faults", "every entry needs 'fault'");
            }
            try {
                faults.add(new FaultOptions(Fault.parse(e.fault()), e.options()));
            } catch (HpcvirtException ex) {
                throw p.at(e.options() == null || e.options().isEmpty() ? "fault" : "options", ex.getMessage());
            }
        }
        int runs = range(p, "runs", f.runs(), 5, 1, 1000);
        int bystanders = range(p, "bystanders", f.bystanders(), 1, 0, 4);
        int cores = Runtime.getRuntime().availableProcessors();
        int parallelism = range(p, "parallelism", f.parallelism(), 1, 1, cores);
        Vm vm = f.vm() == null ? new Vm(null, null, null, null) : f.vm();
        long memory = p.parse("memory", () -> DataSize.parse(vm.memory() == null ? "128M" : vm.memory(), "memory"));
        if (memory < (64L << 20) || memory > (4L << 30)) {
            throw p.at("memory", "must be 64M..4G");
        }
        String image = vm.image() == null ? "default" : vm.image();
        Duration hbi = p.parse("heartbeatInterval", () -> Durations.parse(
                vm.heartbeatInterval() == null ? "200ms" : vm.heartbeatInterval(), "heartbeatInterval"));
        Duration hbt = p.parse("heartbeatTimeout", () -> Durations.parse(
                vm.heartbeatTimeout() == null ? "2s" : vm.heartbeatTimeout(), "heartbeatTimeout"));
        if (hbi.toMillis() < 50 || hbi.toMillis() > 60_000) {
            throw p.at("heartbeatInterval", "must be 50ms..60s");
        }
        if (hbt.compareTo(hbi.multipliedBy(2)) <= 0) {
            throw p.at("heartbeatTimeout", "must be longer than twice the heartbeat interval");
        }
        Timeouts t = f.timeouts() == null ? new Timeouts(null, null, null) : f.timeouts();
        Duration boot = p.parse("boot", () -> Durations.parse(t.boot() == null ? "90s" : t.boot(), "boot"));
        Duration run = p.parse("run", () -> Durations.parse(t.run() == null ? "30s" : t.run(), "run"));
        if (run.compareTo(hbt.multipliedBy(2)) < 0) {
            throw p.at("run", "must be at least twice the heartbeat timeout");
        }
        int hang = range(p, "hangFactor", t.hangFactor(), 10, 2, 1000);
        int rounds = range(p, "workloadRounds", f.workloadRounds(), 200, 1, 1_000_000);
        long seed = f.seed() == null ? 1 : f.seed();
        Reset reset;
        if (f.reset() == null || f.reset().equals("snapshot")) {
            reset = Reset.SNAPSHOT;
        } else if (f.reset().equals("reboot")) {
            reset = Reset.REBOOT;
        } else {
            throw p.at("reset", "must be snapshot or reboot, not '" + f.reset() + "'");
        }
        return new CampaignSpec(name, List.copyOf(new LinkedHashSet<>(backends)), List.copyOf(new LinkedHashSet<>(iso)),
                List.copyOf(faults), runs, seed, bystanders, parallelism, memory, image, hbi, hbt, boot, run, hang, rounds, reset);
    }

    private static int range(org.hpcvirt.ft.FieldErrors p, String field, Integer value, int def, int min, int max) {
        int v = value == null ? def : value;
        if (v < min || v > max) {
            throw p.at(field, "must be " + min + ".." + max + ", not " + v);
        }
        return v;
    }
}
