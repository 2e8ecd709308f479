package org.hpcvirt.api;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The kernel's CPU list format ({@code 0-3,5}: {@code /sys/devices/system/cpu/online},
 * {@code Cpus_allowed_list} in {@code /proc/PID/status}, {@code cpuset.cpus}, Slurm's {@code CPU_IDs}).
 * Stateless; thread-safe.
 */
public final class CpuList {
    private static final Pattern FORMAT = Pattern.compile("\\s*(\\d{1,5}(-\\d{1,5})?(,\\d{1,5}(-\\d{1,5})?)*)?\\s*");

    private CpuList() {
    }

    /**
     * The CPUs of {@code text}, in the order written, ranges expanded; an empty or blank text is
     * no CPU.
     *
     * @throws HpcvirtException INVALID_INPUT naming the text if it is not a CPU list or a range runs backwards
     */
    public static List<Integer> parse(String text) {
        if (text == null || !FORMAT.matcher(text).matches()) {
            throw HpcvirtException.invalid("not a CPU list (like 0-3,5): '" + text + "'");
        }
        List<Integer> out = new ArrayList<>();
        for (String part : text.strip().split(",")) {
            if (part.isEmpty()) {
                continue;
            }
            int dash = part.indexOf('-');
            int from = Integer.parseInt(dash < 0 ? part : part.substring(0, dash));
            int to = dash < 0 ? from : Integer.parseInt(part.substring(dash + 1));
            if (to < from) {
                throw HpcvirtException.invalid("CPU range runs backwards in '" + text.strip() + "': " + part);
            }
            for (int c = from; c <= to; c++) {
                out.add(c);
            }
        }
        return out;
    }
}
