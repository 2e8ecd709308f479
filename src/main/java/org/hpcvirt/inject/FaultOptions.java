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
     * @throws HpcvirtException INVALID_INPUT naming the unknown option and the known ones
     */
    public FaultOptions {
        values = Map.copyOf(values == null ? Map.of() : values);
        for (String k : new TreeMap<>(values).keySet()) {
            if (!fault.options().contains(k)) {
                throw HpcvirtException.invalid("fault " + fault.id() + " has no option '" + k + "' (known: "
                        + (fault.options().isEmpty() ? "none" : String.join(", ", fault.options())) + ")");
            }
        }
    }

    /** No options. */
    public static FaultOptions none(Fault fault) {
        return new FaultOptions(fault, Map.of());
    }

    /**
     * An integer option in {@code [min, max]}, or {@code def} if absent.
     *
     * @throws HpcvirtException INVALID_INPUT if not an integer or out of range
     */
    public long integer(String name, long def, long min, long max) {
        String v = values.get(name);
        if (v == null) {
            return def;
        }
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
