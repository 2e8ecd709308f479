package org.hpcvirt.vse;

import java.nio.file.Path;
import org.hpcvirt.ft.StrictYaml;

/**
 * Where a VSE file or policy came from, to name the file, line and field in messages. Immutable.
 *
 * @param file the file, or null when there is none (built-in policy)
 * @param text its text (empty when there is no file)
 */
public record VseSource(Path file, String text) {
    /** No file. */
    public static final VseSource NONE = new VseSource(null, "");

    /**
     * {@code FILE: line N: field 'a.b':} for the dotted field path {@code field} (the line is where its
     * last key is written, when it is); without a file, {@code field 'a.b':}.
     */
    public String at(String field) {
        String key = field.contains(".") ? field.substring(field.lastIndexOf('.') + 1) : field;
        int line = text.isEmpty() ? -1 : lineOf(field, key);
        return (file == null ? "" : file + ": ") + (line > 0 ? "line " + line + ": " : "") + "field '" + field + "':";
    }

    // the line of the last key, searched after the line of its parent keys, so vm.cpus is found under vm:
    private int lineOf(String field, String key) {
        String[] parts = field.split("\\.");
        int from = 0;
        String[] lines = text.split("\n", -1);
        for (String part : parts) {
            String rest = String.join("\n", java.util.Arrays.copyOfRange(lines, from, lines.length));
            int l = StrictYaml.lineOf(rest, part);
            if (l < 0) {
                return part.equals(key) && from > 0 ? from : -1;
            }
            from += l;
        }
        return from;
    }
}
