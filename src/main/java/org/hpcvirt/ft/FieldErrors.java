package org.hpcvirt.ft;

import java.util.function.Supplier;
import org.hpcvirt.api.HpcvirtException;

/**
 * INVALID_INPUT errors of one strict-YAML input file that name the file, the field's line and the
 * field: {@code campaign.yaml: line 4: field 'runs': must be at least 1}. Immutable.
 *
 * @param text   the file's text (null: no line numbers)
 * @param source the file's name in the messages
 */
public record FieldErrors(String text, String source) {
    /** The error for {@code field}: {@code what} is wrong with it. */
    public HpcvirtException at(String field, String what) {
        int line = text == null ? -1 : StrictYaml.lineOf(text, field);
        return HpcvirtException.invalid(source + ": " + (line > 0 ? "line " + line + ": " : "") + "field '" + field + "': " + what);
    }

    /** The value of {@code parse}; an INVALID_INPUT it throws is given the file, line and {@code field}. */
    public <T> T parse(String field, Supplier<T> parse) {
        try {
            return parse.get();
        } catch (HpcvirtException e) {
            throw at(field, e.getMessage());
        }
    }
}
