package org.hpcvirt.ft.live;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.hpcvirt.api.HpcvirtException;

/**
 * Reads the host's health sensors that announce failures: hwmon temperatures
 * ({@code /sys/class/hwmon/hwmon*}/{@code temp*_input}, millidegrees) and EDAC memory-controller
 * error counters ({@code /sys/devices/system/edac/mc/mc*}/{@code ce_count}, {@code ue_count}).
 * A missing directory means "no such sensor here" (common in VMs), not an error. Stateless apart
 * from its configuration; thread-safe.
 */
public final class HostSensors {
    private final Path sysRoot;
    private final Thresholds thresholds;

    /**
     * When a reading predicts a failure.
     *
     * @param maxTemperatureC     any temperature at or above this (°C) raises an alarm
     * @param correctedErrorBurst this many more corrected memory errors than the previous reading raise an alarm
     */
    public record Thresholds(double maxTemperatureC, long correctedErrorBurst) {
        public Thresholds {
            if (!(maxTemperatureC > 0 && maxTemperatureC < 200)) {
                throw HpcvirtException.invalid("temperature threshold must be between 0 and 200 °C, not " + maxTemperatureC);
            }
            if (correctedErrorBurst < 1) {
                throw HpcvirtException.invalid("corrected-error burst must be at least 1, not " + correctedErrorBurst);
            }
        }

        /** 90 °C, 10 corrected errors between two readings. */
        public static Thresholds defaults() {
            return new Thresholds(90, 10);
        }
    }

    /**
     * One reading.
     *
     * @param temperaturesC every temperature found, °C
     * @param corrected     sum of EDAC corrected-error counts
     * @param uncorrected   sum of EDAC uncorrected-error counts
     */
    public record Reading(List<Double> temperaturesC, long corrected, long uncorrected) {
        public Reading {
            temperaturesC = List.copyOf(temperaturesC);
        }
    }

    public HostSensors(Path sysRoot, Thresholds thresholds) {
        this.sysRoot = sysRoot;
        this.thresholds = thresholds;
    }

    /** Sensors of this host ({@code /sys}). */
    public static HostSensors ofThisHost(Thresholds thresholds) {
        return new HostSensors(Path.of("/sys"), thresholds);
    }

    public Reading read() {
        List<Double> temps = new ArrayList<>();
        for (Path hw : list(sysRoot.resolve("class/hwmon"))) {
            for (Path f : list(hw)) {
                String n = f.getFileName().toString();
                if (n.startsWith("temp") && n.endsWith("_input")) {
                    readLong(f).ifPresent(milli -> temps.add(milli / 1000.0));
                }
            }
        }
        long ce = 0;
        long ue = 0;
        for (Path mc : list(sysRoot.resolve("devices/system/edac/mc"))) {
            if (mc.getFileName().toString().startsWith("mc")) {
                ce += readLong(mc.resolve("ce_count")).orElse(0L);
                ue += readLong(mc.resolve("ue_count")).orElse(0L);
            }
        }
        return new Reading(temps, ce, ue);
    }

    /** Why {@code now} predicts a failure (compared with {@code previous}, which may be null), or empty. */
    public Optional<String> alarm(Reading previous, Reading now) {
        double hottest = now.temperaturesC().stream().mapToDouble(Double::doubleValue).max().orElse(Double.NEGATIVE_INFINITY);
        if (hottest >= thresholds.maxTemperatureC()) {
            return Optional.of(String.format("temperature %.1f °C ≥ %.1f °C", hottest, thresholds.maxTemperatureC()));
        }
        if (previous != null) {
            if (now.uncorrected() > previous.uncorrected()) {
                return Optional.of("uncorrected memory errors: " + previous.uncorrected() + " → " + now.uncorrected());
            }
            long burst = now.corrected() - previous.corrected();
            if (burst >= thresholds.correctedErrorBurst()) {
                return Optional.of("corrected memory errors rose by " + burst + " (threshold " + thresholds.correctedErrorBurst() + ")");
            }
        }
        return Optional.empty();
    }

    private static List<Path> list(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static Optional<Long> readLong(Path f) {
        try {
            return Optional.of(Long.parseLong(Files.readString(f).trim()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty(); // sensor without a value, or a driver returning garbage: not evidence
        }
    }
}
