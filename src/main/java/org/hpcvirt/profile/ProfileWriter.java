package org.hpcvirt.profile;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.hpcvirt.api.DataSize;

/**
 * Writes the canonical YAML of a profile (see {@link ProfileLoader#toYaml}). Sizes and durations
 * are written in exact units so that reading them back gives the same value. Stateless.
 */
final class ProfileWriter {
    private static final YAMLFactory FACTORY = new YAMLFactory();
    private static final long[] UNIT_MILLIS = {86_400_000L, 3_600_000L, 60_000L, 1_000L, 1L};
    private static final String[] UNIT_NAMES = {"d", "h", "m", "s", "ms"};

    private ProfileWriter() {
    }

    static String write(VmProfile p) {
        Objects.requireNonNull(p, "profile");
        StringBuilder y = new StringBuilder();
        y.append("name: ").append(scalar(p.name())).append('\n');
        y.append("backend: ").append(scalar(p.backend())).append('\n');
        y.append("cpus: ").append(p.cpus()).append('\n');
        y.append("memory: ").append(DataSize.format(p.memoryBytes())).append('\n');
        if (p.disk() != null) {
            y.append("disk:\n  size: ").append(DataSize.format(p.disk().sizeBytes())).append('\n');
        }
        y.append("network: ").append(p.network().name().toLowerCase(Locale.ROOT)).append('\n');
        if (p.privateNetwork() != null) {
            y.append("privateNetwork: ").append(scalar(p.privateNetwork())).append('\n');
        }
        y.append("image: ").append(scalar(p.image())).append('\n');
        y.append("heartbeat:\n");
        y.append("  interval: ").append(duration(p.heartbeatInterval())).append('\n');
        y.append("  timeout: ").append(duration(p.heartbeatTimeout())).append('\n');
        if (!p.pinning().isEmpty()) {
            y.append("pinning: ").append(p.pinning().stream().map(String::valueOf).collect(Collectors.joining(", ", "[", "]")))
                    .append('\n');
        }
        if (!p.kernelArgs().isEmpty()) {
            y.append("kernelArgs: ").append(scalar(p.kernelArgs())).append('\n');
        }
        if (p.ft() != null) {
            y.append("ft:\n");
            y.append("  policy: ").append(scalar(p.ft().policy())).append('\n');
            if (p.ft().period() != null) {
                y.append("  period: ").append(scalar(p.ft().period())).append('\n');
            }
            if (p.ft().jobClass() != null) {
                y.append("  jobClass: ").append(scalar(p.ft().jobClass())).append('\n');
            }
            for (Map.Entry<String, String> e : new TreeMap<>(p.ft().extra()).entrySet()) {
                y.append("  ").append(scalar(e.getKey())).append(": ").append(scalar(e.getValue())).append('\n');
            }
        }
        return y.toString();
    }

    /**
     * The shortest exact form: the largest of d, h, m, s, ms that divides the duration, or
     * decimal milliseconds when it is not a whole number of them (e.g. {@code 0.25ms}).
     */
    static String duration(Duration d) {
        if (d.isNegative()) {
            throw new IllegalArgumentException("negative duration " + d);
        }
        BigDecimal millis = BigDecimal.valueOf(d.getSeconds()).multiply(BigDecimal.valueOf(1000))
                .add(BigDecimal.valueOf(d.getNano(), 6));
        if (millis.signum() == 0) {
            return "0ms";
        }
        if (millis.stripTrailingZeros().scale() > 0) {
            return millis.stripTrailingZeros().toPlainString() + "ms";
        }
        long ms = millis.longValueExact();
        for (int i = 0; i < UNIT_MILLIS.length; i++) {
            if (ms % UNIT_MILLIS[i] == 0) {
                return ms / UNIT_MILLIS[i] + UNIT_NAMES[i];
            }
        }
        throw new IllegalStateException("unreachable: every whole number of ms divides by 1");
    }

    /** {@code text} as a YAML scalar: plain when it reads back as the same text, else double-quoted. */
    static String scalar(String text) {
        return readsBackAsText(text) ? text : quoted(text);
    }

    private static boolean readsBackAsText(String text) {
        if (text.isEmpty() || !text.equals(text.strip()) || text.chars().anyMatch(c -> c < 0x20 || c >= 0x7f)) {
            return false;
        }
        // Ask the parser that will read it: it knows which words are booleans, numbers, nulls or syntax.
        try (JsonParser p = FACTORY.createParser(text + ": " + text + "\n")) {
            return p.nextToken() == JsonToken.START_OBJECT
                    && p.nextToken() == JsonToken.FIELD_NAME && text.equals(p.currentName())
                    && p.nextToken() == JsonToken.VALUE_STRING && text.equals(p.getText())
                    && !((YAMLParser) p).isCurrentAlias() && p.getTypeId() == null
                    && p.nextToken() == JsonToken.END_OBJECT && p.nextToken() == null;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static String quoted(String text) {
        StringBuilder q = new StringBuilder("\"");
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"' || c == '\\') {
                q.append('\\').append(c);
            } else if (c < 0x20 || c >= 0x7f && c <= 0x9f || c == '\u2028' || c == '\u2029' || c == '\ufeff'
                    || c >= '\ufffe' || Character.isSurrogate(c) && !validPair(text, i)) {
                q.append(String.format("\\u%04x", (int) c));
            } else {
                q.append(c);
            }
        }
        return q.append('"').toString();
    }

    private static boolean validPair(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        }
        return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }
}
