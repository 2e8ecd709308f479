package org.hpcvirt.inject;

import java.util.Map;
import java.util.TreeMap;
import org.hpcvirt.api.HpcvirtException;

/**
 * The options of one fault ({@code delay: 1}, {@code bits: 2}, {@code register: rip}), validated against
 * what the fault accepts. Immutable.
 *
 * @param fault  the fault
 * @param values option name → text as written
 */
public record FaultOptions(Fault fault, Map<String, String> values) {
    /**
     * Checks the option names against {@link Fault#options()}.
     *
     * and the values against their ranges, so that a campaign fails at load, not in its first run.
     *
     * @throws HpcvirtException INVALID_INPUT naming the unknown option and the known ones, or the bad value
     */
    public FaultOptions {
        if (values != null) {
            for (var e : values.entrySet()) {
                if (e.getKey() == null || e.getValue() == null) {
                    throw HpcvirtException.invalid("fault " + fault.id() + " option '" + e.getKey() + "' has no value");
                }
            }
        }
        values = Map.copyOf(values == null ? Map.of() : values);
        for (String k : new TreeMap<>(values).keySet()) {
            if (!fault.options().contains(k)) {
                throw HpcvirtException.invalid("fault " + fault.id() + " has no option '" + k + "' (known: "
                        + (fault.options().isEmpty() ? "none" : String.join(", ", fault.options())) + ")");
            }
        }
        for (var e : RANGES.entrySet()) {
            if (values.containsKey(e.getKey())) {
                parse(fault, e.getKey(), values.get(e.getKey()), e.getValue()[0], e.getValue()[1]);
            }
        }
        String reg = values.get("register");
        if (reg != null && !org.hpcvirt.backend.MemoryAccess.X86_64_REGISTERS.contains(reg)) {
            throw HpcvirtException.invalid("fault " + fault.id() + " option 'register': unknown register '" + reg + "' (known: "
                    + String.join(", ", new java.util.TreeSet<>(org.hpcvirt.backend.MemoryAccess.X86_64_REGISTERS)) + ")");
        }
    }

    /** Valid ranges of the integer options (address is checked against the guest's memory when injecting). */
    private static final Map<String, long[]> RANGES = Map.of("delay", new long[] {0, 3600}, "seconds", new long[] {1, 3600},
            "bits", new long[] {1, 4096}, "offset", new long[] {0, 4095}, "bit", new long[] {0, 63},
            "address", new long[] {0, Long.MAX_VALUE});

    /**
     * An integer option in {@code [min, max]}, or {@code def} if absent.
     *
     * @throws HpcvirtException INVALID_INPUT if not an integer or out of range
     */
    public long integer(String name, long def, long min, long max) {
        String v = values.get(name);
        return v == null ? def : parse(fault, name, v, min, max);
    }

    private static long parse(Fault fault, String name, String v, long min, long max) {
        long n;
        try {
            n = v.startsWith("0x") ? Long.parseUnsignedLong(v.substring(2), 16) : Long.parseLong(v.strip());
        } catch (NumberFormatException e) {
            throw HpcvirtException.invalid("fault " + fault.id() + " option '" + name + "': '" + v + "' is not an integer");
        }
        if (n < min || n > max) {
            throw HpcvirtException.invalid("fault " + fault.id() + " option '" + name + "' must be " + min + ".." + max
                    + ", not " + n);
        }
        return n;
    }

    /** True if the option is given. */
    public boolean has(String name) {
        return values.containsKey(name);
    }

    /** A text option, or {@code def} if absent. */
    public String text(String name, String def) {
        return values.getOrDefault(name, def);
    }
}
