package org.hpcvirt.api;

import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Test support: every operation type, and a valid sample value of each. */
public final class Operations {
    private Operations() {
    }

    /** Every record type of the sealed {@link Operation} hierarchy. */
    @SuppressWarnings("unchecked")
    public static List<Class<? extends Operation>> all() {
        List<Class<? extends Operation>> out = new ArrayList<>();
        collect(Operation.class, out);
        return out;
    }

    @SuppressWarnings("unchecked")
    private static void collect(Class<?> c, List<Class<? extends Operation>> out) {
        if (c.isRecord()) {
            out.add((Class<? extends Operation>) c);
            return;
        }
        for (Class<?> p : c.getPermittedSubclasses()) {
            collect(p, out);
        }
    }

    /** A valid value of {@code type} acting on VM {@code vm}: required fields filled, others absent. */
    public static Operation sample(Class<? extends Operation> type, String vm) {
        RecordComponent[] comps = type.getRecordComponents();
        Object[] values = new Object[comps.length];
        Class<?>[] types = new Class<?>[comps.length];
        for (int i = 0; i < comps.length; i++) {
            RecordComponent c = comps[i];
            types[i] = c.getType();
            if (c.getName().equals("name")) {
                values[i] = vm;
            } else if (c.getName().equals("id")) {
                values[i] = "ck-1";
            } else if (c.isAnnotationPresent(Operation.Required.class)) {
                values[i] = sampleValue(c);
            }
        }
        if (type == Operation.Exec.class) {
            values[1] = List.of("true");
        }
        try {
            Constructor<? extends Operation> ctor = type.getDeclaredConstructor(types);
            return ctor.newInstance(values);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("cannot build " + type.getSimpleName(), e);
        }
    }

    private static Object sampleValue(RecordComponent c) {
        Operation.Range r = c.getAnnotation(Operation.Range.class);
        Class<?> t = c.getType();
        if (t == String.class) {
            return c.getName().equals("to") || c.getName().equals("node") ? "http://10.200.0.2:7700" : "x";
        }
        if (t == Integer.class) {
            return r == null ? 1 : (int) Math.max(r.min(), 1);
        }
        if (t == Long.class) {
            return r == null ? 1L : Math.max(r.min(), 1L);
        }
        if (t == Double.class) {
            return r == null ? 1.0 : (double) Math.max(r.min(), 1);
        }
        if (t == Boolean.class) {
            return Boolean.TRUE;
        }
        if (t == Map.class) {
            return Map.of();
        }
        if (t == java.util.List.class) {
            return java.util.List.of("x", "y");
        }
        throw new AssertionError("no sample for " + c);
    }
}
