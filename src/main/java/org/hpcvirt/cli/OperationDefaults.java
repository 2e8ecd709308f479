package org.hpcvirt.cli;

import org.hpcvirt.api.Operation;
import org.hpcvirt.api.OperationFields;
import picocli.CommandLine;

/**
 * Defaults of options that stand for a field of an operation, taken from the operation record's
 * {@link Operation.Default} so that each default is written once: an option declares
 * {@code descriptionKey = "Start.timeoutSeconds"} (record {@code Operation.Start}, field
 * {@code timeoutSeconds}) instead of a {@code defaultValue}. Stateless; thread-safe.
 */
final class OperationDefaults implements CommandLine.IDefaultValueProvider {
    @Override
    @SuppressWarnings("unchecked")
    public String defaultValue(CommandLine.Model.ArgSpec arg) {
        String key = arg.descriptionKey();
        if (key == null || !key.matches("[A-Z][A-Za-z]*\\.[a-z][A-Za-z]*")) {
            return null;
        }
        String[] parts = key.split("\\.");
        Class<?> type;
        try {
            type = Class.forName(Operation.class.getName() + "$" + parts[0]);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("option " + arg + ": no operation " + parts[0], e);
        }
        return OperationFields.defaultText((Class<? extends Operation>) type, parts[1]);
    }
}
