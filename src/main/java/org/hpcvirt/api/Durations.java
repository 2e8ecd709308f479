package org.hpcvirt.api;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses and prints human durations such as {@code 500ms}, {@code 90s}, {@code 10m}, {@code 24h},
 * {@code 7d}, {@code 125y} (a year is 365 days) and decimals like {@code 1.5h}. A bare number is
 * rejected: the unit is part of the meaning.
 */
public final class Durations {
    private static final Pattern FORM = Pattern.compile("\\s*([0-9]+(?:\\.[0-9]+)?)\\s*(ms|s|m|h|d|w|y)\\s*");

    private Durations() {
    }

    /**
     * @param text the duration text
     * @param what what the value is, for the error message (e.g. {@code "--mtbf"})
     * @throws HpcvirtException INVALID_INPUT naming {@code what} if the text is not a duration
     */
    public static Duration parse(String text, String what) {
        if (text == null) {
            throw HpcvirtException.invalid(what + ": missing duration");
        }
        Matcher m = FORM.matcher(text.toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw HpcvirtException.invalid(what + ": '" + text + "' is not a duration (use e.g. 500ms, 90s, 10m, 24h, 7d, 125y)");
        }
        double v = Double.parseDouble(m.group(1));
        double millisPerUnit = switch (m.group(2)) {
            case "ms" -> 1;
            case "s" -> 1_000;
            case "m" -> 60_000;
            case "h" -> 3_600_000;
            case "d" -> 86_400_000;
            case "w" -> 7 * 86_400_000.0;
            case "y" -> 365 * 86_400_000.0;
            default -> throw new IllegalStateException();
        };
        double millis = v * millisPerUnit;
        if (millis > Long.MAX_VALUE / 2.0) {
            throw HpcvirtException.invalid(what + ": '" + text + "' is too long");
        }
        return Duration.ofNanos(Math.round(millis * 1_000_000.0));
    }

    /** Seconds as a double, convenient for the interval mathematics. */
    public static double seconds(Duration d) {
        return d.getSeconds() + d.getNano() / 1e9;
    }

    /** A short human form: 350ms, 4.2s, 12m, 3.5h, 2.1d, 4.0y. */
    public static String format(Duration d) {
        double s = seconds(d);
        if (s < 1) {
            return Math.round(s * 1000) + "ms";
        } else if (s < 120) {
            return trim(s) + "s";
        } else if (s < 7200) {
            return trim(s / 60) + "m";
        } else if (s < 2 * 86400) {
            return trim(s / 3600) + "h";
        } else if (s < 2 * 365 * 86400) {
            return trim(s / 86400) + "d";
        }
        return trim(s / (365 * 86400.0)) + "y";
    }

    private static String trim(double v) {
        String s = String.format(Locale.ROOT, "%.1f", v);
        return s.endsWith(".0") ? s.substring(0, s.length() - 2) : s;
    }
}
