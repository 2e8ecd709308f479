package org.hpcvirt.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hpcvirt.backend.BackendRegistry;
import org.hpcvirt.backend.Capabilities;

/**
 * The capability matrix of {@code hpcvirt backends} as text: one row per backend, one column per
 * capability (yes/no), then the reason for every "no", one line per backend and reason (the
 * capabilities that share a reason are listed together, so an unusable backend takes one line).
 * Pure: it formats what the backends said ({@link BackendRegistry.Described#capabilities()}) and
 * decides nothing.
 */
final class CapabilityTable {
    private CapabilityTable() {
    }

    static String render(List<BackendRegistry.Described> backends) {
        StringBuilder sb = new StringBuilder();
        if (backends.isEmpty()) {
            return "no backends\n";
        }
        List<String> columns = backends.get(0).capabilities().stream().map(Capabilities.Cell::capability).toList();
        int nameWidth = Math.max("BACKEND".length(), backends.stream().mapToInt(d -> d.name().length()).max().orElse(0));
        sb.append(String.format("%-" + nameWidth + "s", "BACKEND"));
        for (String c : columns) {
            sb.append("  ").append(c.toUpperCase());
        }
        sb.append('\n');
        for (BackendRegistry.Described d : backends) {
            sb.append(String.format("%-" + nameWidth + "s", d.name()));
            for (int i = 0; i < columns.size(); i++) {
                Capabilities.Cell cell = d.capabilities().get(i);
                sb.append("  ").append(String.format("%-" + columns.get(i).length() + "s", cell.available() ? "yes" : "no"));
            }
            sb.setLength(sb.length() - trailingSpaces(sb));
            sb.append('\n');
        }
        List<String> why = new ArrayList<>();
        for (BackendRegistry.Described d : backends) {
            Map<String, List<String>> byReason = new LinkedHashMap<>();
            for (Capabilities.Cell cell : d.capabilities()) {
                if (!cell.available()) {
                    byReason.computeIfAbsent(cell.reason(), r -> new ArrayList<>()).add(cell.capability());
                }
            }
            for (Map.Entry<String, List<String>> e : byReason.entrySet()) {
                String which = e.getValue().size() == columns.size() ? "every capability" : String.join(", ", e.getValue());
                why.add("  " + d.name() + " — " + which + ": " + e.getKey());
            }
        }
        if (!why.isEmpty()) {
            sb.append("\nno, because:\n");
            why.forEach(l -> sb.append(l).append('\n'));
        }
        return sb.toString();
    }

    private static int trailingSpaces(StringBuilder sb) {
        int n = 0;
        while (n < sb.length() && sb.charAt(sb.length() - 1 - n) == ' ') {
            n++;
        }
        return n;
    }
}
