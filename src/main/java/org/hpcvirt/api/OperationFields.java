package org.hpcvirt.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;

/**
 * The field rules of operation records, applied the same way whoever built the record (a REST
 * request, the CLI, the fault-tolerance executor): absent fields get their {@link Operation.Default},
 * {@link Operation.Required} fields must be there, {@link Operation.Range} is checked. Stateless;
 * thread-safe.
 */
public final class OperationFields {
    private OperationFields() {
    }

    /**
     * {@code op} with every absent field set to its default, after checking required fields and
     * ranges.
     *
     * @param where prefix of error messages naming where the fields came from ("request body: ")
     * @throws HpcvirtException INVALID_INPUT naming the field
     */
    @SuppressWarnings("unchecked")
    public static <O extends Operation> O complete(O op, String where) {
        RecordComponent[] comps = op.getClass().getRecordComponents();
        Object[] values = new Object[comps.length];
        Class<?>[] types = new Class<?>[comps.length];
        boolean changed = false;
        for (int i = 0; i < comps.length; i++) {
            RecordComponent c = comps[i];
            types[i] = c.getType();
            values[i] = value(op, c);
            boolean absent = values[i] == null || values[i] instanceof String s && s.isBlank();
            Operation.Default d = c.getAnnotation(Operation.Default.class);
            if (absent && d != null) {
                values[i] = defaultValue(op.getClass(), c);
                changed = true;
            } else if (absent && c.isAnnotationPresent(Operation.Required.class)) {
                Operation.Doc doc = c.getAnnotation(Operation.Doc.class);
                throw HpcvirtException.invalid(where + "field '" + c.getName() + "' is required"
                        + (doc == null ? "" : " (" + doc.value() + ")"));
            }
            Operation.Range r = c.getAnnotation(Operation.Range.class);
            if (r != null && values[i] instanceof Number n) {
                boolean in = n instanceof Double x ? x >= r.min() && x <= r.max() : n.longValue() >= r.min() && n.longValue() <= r.max();
                if (!in) {
                    throw HpcvirtException.invalid(where + c.getName() + " must be between " + r.min() + " and " + r.max() + ", not " + n);
                }
            }
        }
        if (!changed) {
            return op;
        }
        try {
            Constructor<?> ctor = op.getClass().getDeclaredConstructor(types);
            return (O) ctor.newInstance(values);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof RuntimeException re ? re : new HpcvirtException(ErrorCode.INTERNAL, "cannot build "
                    + op.getClass().getSimpleName(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new HpcvirtException(ErrorCode.INTERNAL, "cannot build " + op.getClass().getSimpleName(), e);
        }
    }

    /** A record component's value. */
    public static Object value(Operation op, RecordComponent c) {
        try {
            return c.getAccessor().invoke(op);
        } catch (ReflectiveOperationException e) {
            throw new HpcvirtException(ErrorCode.INTERNAL, "cannot read " + c.getName() + " of " + op.getClass().getSimpleName(), e);
        }
    }

    /** A component's default converted to its type, or null if it has none. */
    public static Object defaultValue(Class<? extends Operation> type, RecordComponent c) {
        Operation.Default d = c.getAnnotation(Operation.Default.class);
        if (d == null) {
            return null;
        }
        try {
            return Json.mapper().readValue(d.value(), c.getType());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("bad @Default of " + type.getSimpleName() + "." + c.getName() + ": " + d.value(), e);
        }
    }

    /** The default of one field as text ({@code "120"}), or null if it has none: for help texts. */
    public static String defaultText(Class<? extends Operation> type, String field) {
        for (RecordComponent c : type.getRecordComponents()) {
            if (c.getName().equals(field)) {
                Object v = defaultValue(type, c);
                return v == null ? null : v.toString();
            }
        }
        throw new IllegalArgumentException(type.getSimpleName() + " has no field " + field);
    }
}
