package org.hpcvirt.sim;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.hpcvirt.api.HpcvirtException;
import org.tukaani.xz.XZInputStream;

/**
 * The failures of one system from a LANL-format failure CSV (plain or {@code .xz}): columns
 * {@code System}, {@code nodes}, {@code nodenum}, {@code Prob Started}, {@code Prob Fixed}
 * ({@code M/D/YYYY H:MM}) and {@code Down Time} (minutes). Records are sorted by start time.
 * Immutable after loading; thread-safe.
 */
public final class FailureTrace {
    private static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("M/d/yyyy H:mm");
    /** The trace records minutes; simultaneous starts get half of that as their gap when fitting. */
    public static final double RESOLUTION_SECONDS = 60;

    private final String system;
    private final int nodes;
    private final double[] starts;
    private final int[] nodeIds;
    private final double[] downtimes;

    private FailureTrace(String system, int nodes, double[] starts, int[] nodeIds, double[] downtimes) {
        this.system = system;
        this.nodes = nodes;
        this.starts = starts;
        this.nodeIds = nodeIds;
        this.downtimes = downtimes;
    }

    /**
     * Loads the failures of {@code system} (or, when null, of the system with the most records).
     *
     * @throws HpcvirtException NOT_FOUND for a missing file, INVALID_INPUT for a malformed one
     *                          (naming the line) or an unknown system (naming the known ones)
     */
    public static FailureTrace load(Path file, String system) {
        List<String[]> rows = new ArrayList<>();
        Map<String, Integer> counts = new TreeMap<>();
        int[] col;
        try (InputStream raw = Files.newInputStream(file);
             InputStream in = file.toString().endsWith(".xz") ? new XZInputStream(raw) : raw;
             BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String header = r.readLine();
            if (header == null) {
                throw HpcvirtException.invalid(file + ": empty trace");
            }
            List<String> names = splitCsv(header);
            col = new int[] {index(names, "System", file), index(names, "nodes", file), index(names, "nodenum", file),
                index(names, "Prob Started", file), index(names, "Down Time", file)};
            String line;
            int lineNo = 1;
            while ((line = r.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                List<String> f = splitCsv(line);
                if (f.size() < names.size()) {
                    throw HpcvirtException.invalid(file + ": line " + lineNo + ": " + f.size() + " columns, expected " + names.size());
                }
                String sys = f.get(col[0]).trim();
                counts.merge(sys, 1, Integer::sum);
                if (system == null || system.equals(sys)) {
                    rows.add(new String[] {sys, f.get(col[1]), f.get(col[2]), f.get(col[3]), f.get(col[4]), String.valueOf(lineNo)});
                }
            }
        } catch (NoSuchFileException e) {
            throw HpcvirtException.notFound("trace file " + file);
        } catch (IOException e) {
            throw HpcvirtException.invalid(file + ": cannot read trace: " + e.getMessage());
        }
        String chosen = system;
        if (chosen == null) {
            chosen = counts.entrySet().stream().max(Map.Entry.comparingByValue())
                    .orElseThrow(() -> HpcvirtException.invalid(file + ": trace has no records")).getKey();
            String pick = chosen;
            rows.removeIf(row -> !row[0].equals(pick));
        }
        if (rows.isEmpty()) {
            throw HpcvirtException.invalid(file + ": no failures for system '" + system + "' (systems: "
                    + String.join(", ", counts.keySet()) + ")");
        }
        if (rows.size() < 3) {
            throw HpcvirtException.invalid(file + ": system '" + chosen + "' has only " + rows.size() + " failures");
        }
        int n = rows.size();
        double[][] recs = new double[n][];
        int nodes = 0;
        for (int i = 0; i < n; i++) {
            String[] row = rows.get(i);
            String where = file + ": line " + row[5] + ": ";
            try {
                nodes = Math.max(nodes, Integer.parseInt(row[1].trim()));
                double start = LocalDateTime.parse(row[3].trim(), WHEN).toEpochSecond(ZoneOffset.UTC);
                double down = Double.parseDouble(row[4].trim()) * 60;
                if (!(down >= 0)) {
                    throw HpcvirtException.invalid(where + "negative Down Time");
                }
                recs[i] = new double[] {start, Integer.parseInt(row[2].trim()), down};
            } catch (NumberFormatException | DateTimeParseException e) {
                throw HpcvirtException.invalid(where + "cannot parse (" + e.getMessage() + ")");
            }
        }
        Arrays.sort(recs, Comparator.comparingDouble(a -> a[0]));
        double t0 = recs[0][0];
        double[] starts = new double[n];
        int[] ids = new int[n];
        double[] downs = new double[n];
        for (int i = 0; i < n; i++) {
            starts[i] = recs[i][0] - t0;
            ids[i] = (int) recs[i][1];
            downs[i] = recs[i][2];
            nodes = Math.max(nodes, ids[i] + 1);
        }
        return new FailureTrace(chosen, nodes, starts, ids, downs);
    }

    private static int index(List<String> names, String name, Path file) {
        int i = names.indexOf(name);
        if (i < 0) {
            throw HpcvirtException.invalid(file + ": trace header has no column '" + name + "'");
        }
        return i;
    }

    /** Splits one CSV line; fields may be double-quoted (with "" for a quote). */
    static List<String> splitCsv(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    cur.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    cur.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        out.add(cur.toString());
        return out;
    }

    /** The system number as written in the trace. */
    public String system() {
        return system;
    }

    /** Number of nodes of the system. */
    public int nodes() {
        return nodes;
    }

    /** Number of failures. */
    public int size() {
        return starts.length;
    }

    /** Start of failure i, seconds after the first failure. */
    public double start(int i) {
        return starts[i];
    }

    /** Node of failure i. */
    public int node(int i) {
        return nodeIds[i];
    }

    /** Seconds from the first failure to the last plus one mean gap: the length of one replay cycle. */
    public double span() {
        double last = starts[starts.length - 1];
        return last + last / (starts.length - 1);
    }

    /** Gaps between consecutive failures in seconds; zero gaps (same minute) become half the resolution. */
    public double[] interArrivals() {
        double[] g = new double[starts.length - 1];
        for (int i = 1; i < starts.length; i++) {
            g[i - 1] = Math.max(starts[i] - starts[i - 1], RESOLUTION_SECONDS / 2);
        }
        return g;
    }

    /** Down times in seconds; zeros become half the resolution. */
    public double[] downtimes() {
        return Arrays.stream(downtimes).map(d -> Math.max(d, RESOLUTION_SECONDS / 2)).toArray();
    }
}
