package org.hpcvirt.api;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses byte sizes with units: {@code 128M}, {@code 128MiB}, {@code 1G}, {@code 1GiB},
 * {@code 512K}, {@code 4096B}. K/M/G/T and KiB/MiB/GiB/TiB are powers of 1024 (as QEMU reads them);
 * KB/MB/GB/TB are powers of 1000. A bare number is rejected.
 */
public final class DataSize {
    private static final Pattern FORM = Pattern.compile("\\s*([0-9]+(?:\\.[0-9]+)?)\\s*([KMGT]i?B?|B)\\s*");

    private DataSize() {
    }

    /** @throws HpcvirtException INVALID_INPUT naming {@code what} if the text is not a size */
    public static long parse(String text, String what) {
        if (text == null) {
            throw HpcvirtException.invalid(what + ": missing size");
        }
        Matcher m = FORM.matcher(text.toUpperCase(Locale.ROOT).replace("IB", "iB"));
        if (!m.matches()) {
            throw HpcvirtException.invalid(what + ": '" + text + "' is not a size (use e.g. 128M, 128MiB, 1G, 2GB)");
        }
        double v = Double.parseDouble(m.group(1));
        String unit = m.group(2);
        double base = unit.length() == 2 && unit.endsWith("B") ? 1000 : 1024;
        int power = switch (unit.charAt(0)) {
            case 'B' -> 0;
            case 'K' -> 1;
            case 'M' -> 2;
            case 'G' -> 3;
            case 'T' -> 4;
            default -> throw new IllegalStateException();
        };
        double bytes = v * Math.pow(base, power);
        if (bytes > Long.MAX_VALUE / 2.0) {
            throw HpcvirtException.invalid(what + ": '" + text + "' is too large");
        }
        return Math.round(bytes);
    }

    /** Whole MiB when exact, else bytes, e.g. {@code 128M}, {@code 1536M}, {@code 1000B}. */
    public static String format(long bytes) {
        if (bytes % (1024L * 1024 * 1024) == 0 && bytes > 0) {
            return bytes / (1024L * 1024 * 1024) + "G";
        }
        if (bytes % (1024L * 1024) == 0 && bytes > 0) {
            return bytes / (1024L * 1024) + "M";
        }
        return bytes + "B";
    }
}
