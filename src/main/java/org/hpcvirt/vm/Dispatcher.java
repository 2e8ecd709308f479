package org.hpcvirt.vm;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Operation;
import org.hpcvirt.api.OperationFields;
import org.hpcvirt.api.RequestContext;
import org.hpcvirt.api.VmState;

/**
 * The one place operations are executed. Every transport (REST, the CLI through it, the Slurm
 * glue, the fault-tolerance executor) builds an {@link Operation} and calls {@link #execute}; the
 * dispatcher checks the VM's state against {@link Preconditions} and runs the handler registered
 * for the record's type. Observers (metrics, audit) see every execution. Handlers are registered
 * once at start-up, before requests are served; {@link #execute} is thread-safe and runs the
 * handler on the calling thread.
 */
public final class Dispatcher {
    /** Runs one kind of operation; returns its result (null for none). */
    @FunctionalInterface
    public interface Handler<O extends Operation> {
        Object handle(O op, RequestContext ctx);
    }

    /** Sees every execution after it ended. Must not throw or block. */
    @FunctionalInterface
    public interface Observer {
        /** @param error the failure, or null on success */
        void executed(Operation op, RequestContext ctx, long nanos, RuntimeException error);
    }

    /**
     * Decides whether a caller may run an operation, and what of its result the caller may see.
     * Called on the requesting thread before the handler; must not block for long.
     */
    public interface Guard {
        /** Throws (FORBIDDEN) if {@code ctx}'s caller may not run {@code op}; {@code op} has its defaults. */
        void admit(Operation op, RequestContext ctx);

        /** The part of {@code result} (of {@code op}) the caller may see; {@code result} itself if all of it. */
        Object visible(Operation op, RequestContext ctx, Object result);
    }

    /** Lets everyone do everything: for nodes without users (tests of other parts). */
    public static final Guard OPEN = new Guard() {
        @Override
        public void admit(Operation op, RequestContext ctx) {
        }

        @Override
        public Object visible(Operation op, RequestContext ctx, Object result) {
            return result;
        }
    };

    private volatile Guard guard = OPEN;
    private final Map<Class<? extends Operation>, Handler<? extends Operation>> handlers = new ConcurrentHashMap<>();
    private final List<Observer> observers = new CopyOnWriteArrayList<>();
    private final Function<String, Optional<VmState>> stateOf;

    /** @param stateOf the current state of a VM by name, empty if there is no such VM */
    public Dispatcher(Function<String, Optional<VmState>> stateOf) {
        this.stateOf = stateOf;
    }

    /** Registers the handler of {@code type}; INTERNAL if one is registered already. */
    public <O extends Operation> Dispatcher on(Class<O> type, Handler<O> handler) {
        if (handlers.putIfAbsent(type, handler) != null) {
            throw new HpcvirtException(ErrorCode.INTERNAL, "a handler of " + type.getSimpleName() + " is registered already");
        }
        return this;
    }

    /** Sets the guard every execution passes (default {@link #OPEN}); before requests are served. */
    public void guard(Guard g) {
        this.guard = g;
    }

    public void addObserver(Observer o) {
        observers.add(o);
    }

    /** The operation types that have a handler. */
    public Set<Class<? extends Operation>> handled() {
        return Collections.unmodifiableSet(handlers.keySet());
    }

    /**
     * Executes {@code op}: WRONG_STATE if the VM it names is in a state that does not allow it (the
     * handler checks again under the VM's monitor), else the handler's result. Absent fields get
     * their defaults first ({@link OperationFields#complete}), whoever built the record. The
     * {@link Guard} admits the caller before the state is looked at (so a stranger learns nothing
     * of another user's VM), and filters the result.
     */
    @SuppressWarnings("unchecked")
    public Object execute(Operation request, RequestContext ctx) {
        long t0 = System.nanoTime();
        RuntimeException error = null;
        Operation op = request;
        try {
            op = OperationFields.complete(request, "");
            guard.admit(op, ctx);
            if (op instanceof Operation.VmOperation v) {
                Class<? extends Operation> type = op.getClass();
                stateOf.apply(v.name()).ifPresent(s -> Preconditions.require(type, v.name(), s));
            }
            Handler<Operation> h = (Handler<Operation>) handlers.get(op.getClass());
            if (h == null) {
                throw new HpcvirtException(ErrorCode.INTERNAL, "no handler for " + op.getClass().getSimpleName());
            }
            return guard.visible(op, ctx, h.handle(op, ctx));
        } catch (RuntimeException e) {
            error = e;
            throw e;
        } finally {
            long nanos = System.nanoTime() - t0;
            for (Observer o : observers) {
                try {
                    o.executed(op, ctx, nanos, error);
                } catch (RuntimeException e) {
                    // an observer's failure must not change the operation's outcome
                }
            }
        }
    }

    /** {@link #execute} with the result as {@code type}. */
    public <R> R execute(Operation op, RequestContext ctx, Class<R> type) {
        return type.cast(execute(op, ctx));
    }
}
