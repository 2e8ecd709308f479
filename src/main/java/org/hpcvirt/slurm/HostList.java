package org.hpcvirt.slurm;

import java.util.ArrayList;
import java.util.List;
import org.hpcvirt.api.HpcvirtException;

/**
 * Slurm host lists ({@code hvs-n[1-2]}, {@code a1,b[01-03,7]}), expanded as {@code scontrol show
 * hostnames} does, without calling it: zero padding of ranges is kept. Stateless, thread-safe.
 */
public final class HostList {
    private HostList() {
    }

    /**
     * @throws HpcvirtException INVALID_INPUT for an unbalanced bracket or a bad range
     */
    public static List<String> expand(String list) {
        List<String> out = new ArrayList<>();
        if (list == null || list.isBlank()) {
            return out;
        }
        int depth = 0;
        int start = 0;
        for (int i = 0; i <= list.length(); i++) {
            char c = i == list.length() ? ',' : list.charAt(i);
            if (c == '[') {
                depth++;
            } else if (c == ']') {
                depth--;
            } else if (c == ',' && depth == 0) {
                String item = list.substring(start, i).trim();
                if (!item.isEmpty()) {
                    out.addAll(one(item, list));
                }
                start = i + 1;
            }
            if (depth < 0 || depth > 1) {
                throw HpcvirtException.invalid("host list '" + list + "': unbalanced brackets");
            }
        }
        if (depth != 0) {
            throw HpcvirtException.invalid("host list '" + list + "': unbalanced brackets");
        }
        return out;
    }

    private static List<String> one(String item, String list) {
        int open = item.indexOf('[');
        if (open < 0) {
            return List.of(item);
        }
        int close = item.indexOf(']', open);
        String prefix = item.substring(0, open);
        String suffix = item.substring(close + 1);
        List<String> out = new ArrayList<>();
        for (String range : item.substring(open + 1, close).split(",")) {
            String[] ab = range.split("-", -1);
            try {
                if (ab.length == 1) {
                    out.addAll(one(prefix + ab[0] + suffix, list));
                } else if (ab.length == 2) {
                    int a = Integer.parseInt(ab[0]);
                    int b = Integer.parseInt(ab[1]);
                    if (b < a || b - a > 100_000) {
                        throw HpcvirtException.invalid("host list '" + list + "': bad range '" + range + "'");
                    }
                    for (int n = a; n <= b; n++) {
                        String num = String.valueOf(n);
                        while (num.length() < ab[0].length()) {
                            num = "0" + num;
                        }
                        out.addAll(one(prefix + num + suffix, list));
                    }
                } else {
                    throw HpcvirtException.invalid("host list '" + list + "': bad range '" + range + "'");
                }
            } catch (NumberFormatException e) {
                throw HpcvirtException.invalid("host list '" + list + "': bad range '" + range + "'");
            }
        }
        return out;
    }
}
