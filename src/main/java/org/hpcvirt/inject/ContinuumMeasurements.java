package org.hpcvirt.inject;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Json;
import org.hpcvirt.enclave.IsolationLevel;

/**
 * Measured values of the isolation–performance continuum, as recorded by {@code hpcvirt bench continuum
 * --record FILE}: per backend × isolation level the relative performance against native (geometric mean
 * of the benchmark's workloads) and how many E-Zone 3 and E-Zone 4 faults stayed contained, with the date
 * of the measurement. {@code hpcvirt zones} shows them next to {@link ZoneModel}'s expectation. Immutable
 * and thread-safe.
 *
 * @param date    day of the measurement (ISO-8601, {@code 2026-12-01})
 * @param machine the machine it was measured on, in words
 * @param note    how to read it (e.g. "preliminary: the machine was busy"), may be empty
 * @param rows    one row per backend × isolation level that was measured
 */
public record ContinuumMeasurements(String date, String machine, String note, List<Row> rows) {
    /** Where the product ships the recorded measurements (class-path resource). */
    public static final String RESOURCE = "/org/hpcvirt/inject/continuum-measured.json";

    /**
     * One measured backend × isolation level.
     *
     * @param backend             backend name
     * @param isolation           isolation level id
     * @param relativePerformance geometric mean of native time / time here over the workloads (1.0 = native)
     * @param zone3               E-Zone 3 (guest kernel) faults, or null if not run
     * @param zone4               E-Zone 4 (guest user) faults, or null if not run
     */
    public record Row(String backend, String isolation, double relativePerformance, Faults zone3, Faults zone4) {
    }

    /**
     * Faults of one zone.
     *
     * @param contained runs whose effect stayed limited to the victim
     * @param runs      runs that completed (broken runs excluded)
     * @param refused   why hpcvirt refused to inject them here, or null if they ran
     */
    public record Faults(int contained, int runs, String refused) {
        /** {@code 2/2 contained} or {@code refused}. */
        public String describe() {
            return refused != null ? "refused" : contained + "/" + runs + " contained";
        }
    }

    public ContinuumMeasurements {
        note = note == null ? "" : note;
        rows = rows == null ? List.of() : List.copyOf(rows);
    }

    /** The measurements shipped with the product, or empty if none were recorded. */
    public static Optional<ContinuumMeasurements> shipped() {
        try (InputStream in = ContinuumMeasurements.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                return Optional.empty();
            }
            return Optional.of(parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "continuum-measured.json"));
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "continuum-measured.json: cannot read: " + e.getMessage());
        }
    }

    /**
     * Reads and checks measurements written by the benchmark.
     *
     * @param source name of the file, for messages
     * @throws HpcvirtException INVALID_INPUT naming {@code source}, the line and the problem
     */
    public static ContinuumMeasurements parse(String json, String source) {
        ContinuumMeasurements m;
        try {
            m = Json.strict().readValue(json, ContinuumMeasurements.class);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String msg = e.getOriginalMessage();
            int nl = msg.indexOf('\n');
            throw HpcvirtException.invalid(source + ": " + (at != null && at.getLineNr() > 0 ? "line " + at.getLineNr() + ": " : "")
                    + (nl > 0 ? msg.substring(0, nl) : msg));
        }
        if (m == null) {
            throw HpcvirtException.invalid(source + ": empty");
        }
        if (m.date() == null) {
            throw HpcvirtException.invalid(source + ": field 'date' is missing");
        }
        try {
            LocalDate.parse(m.date());
        } catch (DateTimeParseException e) {
            throw HpcvirtException.invalid(source + ": field 'date': '" + m.date() + "' is not a date (YYYY-MM-DD)");
        }
        for (int i = 0; i < m.rows().size(); i++) {
            Row r = m.rows().get(i);
            String where = source + ": rows[" + i + "]: ";
            if (r == null || r.backend() == null || r.backend().isBlank()) {
                throw HpcvirtException.invalid(where + "field 'backend' is missing");
            }
            try {
                IsolationLevel.parse(r.isolation());
            } catch (HpcvirtException e) {
                throw HpcvirtException.invalid(where + "field 'isolation': " + e.getMessage());
            }
            if (!(r.relativePerformance() > 0) || Double.isInfinite(r.relativePerformance())) {
                throw HpcvirtException.invalid(where + "field 'relativePerformance' must be a positive number");
            }
            for (Faults f : new Faults[] {r.zone3(), r.zone4()}) {
                if (f != null && (f.runs() < 0 || f.contained() < 0 || f.contained() > f.runs())) {
                    throw HpcvirtException.invalid(where + "contained must be 0..runs, not " + f.contained() + "/" + f.runs());
                }
            }
        }
        return m;
    }

    /** The row of {@code backend} at {@code isolation}, if measured. */
    public Optional<Row> find(String backend, IsolationLevel isolation) {
        return rows.stream().filter(r -> r.backend().equals(backend) && r.isolation().equals(isolation.id())).findFirst();
    }

    /** One line for {@code hpcvirt zones}: {@code 0.04× native, E3 2/2 contained, E4 2/2 contained (2026-12-01)}. */
    public String describe(Row r) {
        return String.format(Locale.ROOT, "%.3g× native, E3 %s, E4 %s (%s)", r.relativePerformance(),
                r.zone3() == null ? "not run" : r.zone3().describe(), r.zone4() == null ? "not run" : r.zone4().describe(), date);
    }

    /** Writes these measurements as indented JSON to {@code file} (replacing it). */
    public void write(Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(file, Json.mapper().copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(this) + "\n");
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot write " + file + ": " + e.getMessage());
        }
    }
}
