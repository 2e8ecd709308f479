package org.hpcvirt.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Test support: a strict reader of the Prometheus text exposition format 0.0.4, independent of the
 * client library that writes it. {@link #parse} rejects (IllegalArgumentException naming the line)
 * malformed lines, samples of a family without {@code # TYPE}, HELP or TYPE given twice, a family
 * split in two, duplicate series, bad metric or label names, and histograms whose buckets are not
 * cumulative or whose {@code +Inf} bucket differs from {@code _count}. Immutable after parsing.
 */
public final class PromText {
    /** One sample line. */
    public record Sample(String name, Map<String, String> labels, double value) {
    }

    private static final String NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
    private static final String LABEL = "[a-zA-Z_][a-zA-Z0-9_]*";

    private final Map<String, String> types = new LinkedHashMap<>();
    private final Map<String, String> helps = new LinkedHashMap<>();
    private final List<Sample> samples = new ArrayList<>();

    private PromText() {
    }

    public static PromText parse(String text) {
        PromText p = new PromText();
        Map<String, Boolean> seenSeries = new LinkedHashMap<>();
        java.util.Set<String> closedFamilies = new java.util.HashSet<>();
        String current = null;
        int n = 0;
        if (!text.endsWith("\n")) {
            throw new IllegalArgumentException("the exposition does not end with a newline");
        }
        for (String line : text.split("\n", -1)) {
            n++;
            if (line.isEmpty()) {
                continue;
            }
            try {
                if (line.startsWith("# HELP ") || line.startsWith("# TYPE ")) {
                    String[] f = line.substring(7).split(" ", 2);
                    String family = f[0];
                    if (!family.matches(NAME)) {
                        throw new IllegalArgumentException("bad metric name " + family);
                    }
                    if (!family.equals(current)) {
                        if (closedFamilies.contains(family)) {
                            throw new IllegalArgumentException("family " + family + " appears in two places");
                        }
                        if (current != null) {
                            closedFamilies.add(current);
                        }
                        current = family;
                    }
                    Map<String, String> target = line.startsWith("# HELP ") ? p.helps : p.types;
                    if (target.put(family, f.length > 1 ? f[1] : "") != null) {
                        throw new IllegalArgumentException("second " + line.substring(0, 6) + " of " + family);
                    }
                    if (target == p.types && !f[1].matches("counter|gauge|histogram|summary|untyped")) {
                        throw new IllegalArgumentException("unknown type " + f[1]);
                    }
                    continue;
                }
                if (line.startsWith("#")) {
                    continue;
                }
                Sample s = sample(line);
                String family = p.familyOf(s.name());
                if (family == null) {
                    throw new IllegalArgumentException("sample " + s.name() + " has no # TYPE before it");
                }
                if (!family.equals(current)) {
                    throw new IllegalArgumentException("sample of " + family + " outside its family's block");
                }
                String key = s.name() + new TreeMap<>(s.labels());
                if (seenSeries.put(key, true) != null) {
                    throw new IllegalArgumentException("duplicate series " + key);
                }
                p.samples.add(s);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("line " + n + " '" + line + "': " + e.getMessage(), e);
            }
        }
        p.checkHistograms();
        return p;
    }

    private String familyOf(String sample) {
        if (types.containsKey(sample)) {
            return sample;
        }
        for (String suffix : new String[] {"_total", "_bucket", "_count", "_sum", "_created"}) {
            if (sample.endsWith(suffix)) {
                String base = sample.substring(0, sample.length() - suffix.length());
                String t = types.get(base);
                if (t != null && (suffix.equals("_total") ? t.equals("counter")
                        : suffix.equals("_created") || t.equals("histogram") || t.equals("summary") && !suffix.equals("_bucket"))) {
                    return base;
                }
            }
        }
        return null;
    }

    private static Sample sample(String line) {
        int i = 0;
        while (i < line.length() && line.charAt(i) != '{' && line.charAt(i) != ' ') {
            i++;
        }
        String name = line.substring(0, i);
        if (!name.matches(NAME)) {
            throw new IllegalArgumentException("bad metric name '" + name + "'");
        }
        Map<String, String> labels = new LinkedHashMap<>();
        if (i < line.length() && line.charAt(i) == '{') {
            i++;
            while (line.charAt(i) != '}') {
                int eq = line.indexOf('=', i);
                String label = line.substring(i, eq);
                if (!label.matches(LABEL) || label.startsWith("__")) {
                    throw new IllegalArgumentException("bad label name '" + label + "'");
                }
                if (line.charAt(eq + 1) != '"') {
                    throw new IllegalArgumentException("label value not quoted");
                }
                StringBuilder v = new StringBuilder();
                int j = eq + 2;
                for (; line.charAt(j) != '"'; j++) {
                    char c = line.charAt(j);
                    if (c == '\\') {
                        char e = line.charAt(++j);
                        v.append(e == 'n' ? '\n' : e);
                        if (e != 'n' && e != '\\' && e != '"') {
                            throw new IllegalArgumentException("bad escape \\" + e);
                        }
                    } else {
                        v.append(c);
                    }
                }
                if (labels.put(label, v.toString()) != null) {
                    throw new IllegalArgumentException("label " + label + " twice");
                }
                i = j + 1;
                if (line.charAt(i) == ',') {
                    i++;
                }
            }
            i++;
        }
        if (i >= line.length() || line.charAt(i) != ' ') {
            throw new IllegalArgumentException("no value");
        }
        String[] rest = line.substring(i + 1).split(" ");
        if (rest.length > 2) {
            throw new IllegalArgumentException("trailing text");
        }
        double value = switch (rest[0]) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> Double.parseDouble(rest[0]);
        };
        if (rest.length == 2) {
            Long.parseLong(rest[1]);
        }
        return new Sample(name, labels, value);
    }

    private void checkHistograms() {
        for (Map.Entry<String, String> t : types.entrySet()) {
            if (!t.getValue().equals("histogram")) {
                continue;
            }
            String h = t.getKey();
            Map<Map<String, String>, List<Sample>> bySeries = new LinkedHashMap<>();
            for (Sample s : samples) {
                if (s.name().equals(h + "_bucket")) {
                    Map<String, String> rest = new TreeMap<>(s.labels());
                    if (rest.remove("le") == null) {
                        throw new IllegalArgumentException(h + "_bucket without le");
                    }
                    bySeries.computeIfAbsent(rest, k -> new ArrayList<>()).add(s);
                }
            }
            for (Map.Entry<Map<String, String>, List<Sample>> e : bySeries.entrySet()) {
                double prevLe = Double.NEGATIVE_INFINITY;
                double prev = 0;
                for (Sample b : e.getValue()) {
                    double le = b.labels().get("le").equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(b.labels().get("le"));
                    if (le <= prevLe || b.value() < prev) {
                        throw new IllegalArgumentException(h + e.getKey() + ": buckets not increasing at le=" + b.labels().get("le"));
                    }
                    prevLe = le;
                    prev = b.value();
                }
                if (prevLe != Double.POSITIVE_INFINITY) {
                    throw new IllegalArgumentException(h + e.getKey() + ": no +Inf bucket");
                }
                Double count = find(h + "_count", e.getKey());
                if (count == null || count != prev) {
                    throw new IllegalArgumentException(h + e.getKey() + ": _count " + count + " differs from the +Inf bucket " + prev);
                }
            }
        }
    }

    private Double find(String name, Map<String, String> labels) {
        for (Sample s : samples) {
            if (s.name().equals(name) && s.labels().equals(labels)) {
                return s.value();
            }
        }
        return null;
    }

    /** The value of the series {@code name} with exactly the labels {@code k1, v1, k2, v2, …}, or null if absent. */
    public Double value(String name, String... labels) {
        Map<String, String> want = new TreeMap<>();
        for (int i = 0; i < labels.length; i += 2) {
            want.put(labels[i], labels[i + 1]);
        }
        for (Sample s : samples) {
            if (s.name().equals(name) && new TreeMap<>(s.labels()).equals(want)) {
                return s.value();
            }
        }
        return null;
    }

    /** Every sample called {@code name}. */
    public List<Sample> samples(String name) {
        return samples.stream().filter(s -> s.name().equals(name)).toList();
    }

    /** Every sample. */
    public List<Sample> samples() {
        return List.copyOf(samples);
    }

    /** The declared type of a family, or null. */
    public String type(String family) {
        return types.get(family);
    }

    /** The help text of a family, or null. */
    public String help(String family) {
        return helps.get(family);
    }

    /** Every family with a {@code # TYPE} line, in order. */
    public java.util.Set<String> families() {
        return types.keySet();
    }
}
