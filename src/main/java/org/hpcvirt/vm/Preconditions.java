package org.hpcvirt.vm;

import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Operation;
import org.hpcvirt.api.VmState;

/**
 * In which VM states each operation on a VM is allowed: one table, separate from the transition
 * table ({@link VmState#canMoveTo}), which says where a VM may go, not what a caller may ask.
 * The dispatcher checks it before a handler runs; handlers check it again under the VM's lock
 * ({@link #require}), because the state may change in between. Immutable; thread-safe.
 */
public final class Preconditions {
    private static final Set<VmState> EVERY = EnumSet.complementOf(EnumSet.of(VmState.DESTROYED));

    private static final Map<Class<? extends Operation>, Set<VmState>> RULES = new LinkedHashMap<>();
    private static final Map<Class<? extends Operation>, Map<VmState, String>> HINTS = new LinkedHashMap<>();

    static {
        rule(Operation.Status.class, EVERY, null);
        rule(Operation.Profile.class, EVERY, null);
        rule(Operation.Console.class, EVERY, null);
        rule(Operation.Export.class, EVERY, null);
        rule(Operation.Destroy.class, EVERY, null);
        rule(Operation.Start.class, EnumSet.of(VmState.DEFINED, VmState.STOPPED, VmState.CRASHED),
                Map.of(VmState.SUSPENDED, "a SUSPENDED VM keeps its memory in a checkpoint: use 'wake' to bring it back"
                        + " (or 'destroy' to drop it)",
                        VmState.PAUSED, "use 'resume' to continue a PAUSED VM"));
        rule(Operation.Pause.class, EnumSet.of(VmState.RUNNING, VmState.HUNG), null);
        rule(Operation.Resume.class, EnumSet.of(VmState.PAUSED), Map.of(VmState.SUSPENDED, "use 'wake' for a SUSPENDED VM"));
        rule(Operation.Stop.class, EnumSet.of(VmState.STARTING, VmState.RUNNING, VmState.PAUSED, VmState.HUNG, VmState.PANICKED),
                Map.of(VmState.SUSPENDED, "use 'destroy' to drop a SUSPENDED VM, or 'wake' it first"));
        rule(Operation.Exec.class, EnumSet.of(VmState.RUNNING), null);
        rule(Operation.Counter.class, EnumSet.of(VmState.RUNNING), null);
        rule(Operation.Inject.class, EnumSet.of(VmState.RUNNING), null);
        rule(Operation.Checkpoint.class, EnumSet.of(VmState.RUNNING, VmState.PAUSED), null);
        rule(Operation.Suspend.class, EnumSet.of(VmState.RUNNING, VmState.PAUSED), null);
        rule(Operation.Wake.class, EnumSet.of(VmState.SUSPENDED), null);
        rule(Operation.SuspendCheckpoint.class, EnumSet.of(VmState.SUSPENDED), null);
        rule(Operation.HandOver.class, EnumSet.of(VmState.SUSPENDED), null);
        rule(Operation.Restore.class, EnumSet.of(VmState.DEFINED, VmState.STOPPED, VmState.CRASHED, VmState.SUSPENDED), null);
        rule(Operation.Migrate.class, EnumSet.of(VmState.RUNNING), null);
        rule(Operation.ResumeIncoming.class, EnumSet.of(VmState.STARTING), null);
        rule(Operation.AwaitIncoming.class, EnumSet.of(VmState.STARTING, VmState.RUNNING), null);
        rule(Operation.ShowEnclave.class, EVERY, null);
        rule(Operation.DestroyEnclave.class, EVERY, null);
        rule(Operation.CheckpointEnclave.class, EnumSet.of(VmState.RUNNING, VmState.PAUSED), null);
    }

    private Preconditions() {
    }

    private static void rule(Class<? extends Operation> op, Set<VmState> allowed, Map<VmState, String> hints) {
        RULES.put(op, Collections.unmodifiableSet(EnumSet.copyOf(allowed)));
        if (hints != null) {
            HINTS.put(op, Map.copyOf(hints));
        }
    }

    /** The operations that have a state precondition. */
    public static Set<Class<? extends Operation>> covered() {
        return Collections.unmodifiableSet(RULES.keySet());
    }

    /** The states in which {@code op} is allowed; empty if {@code op} has no state precondition. */
    public static Set<VmState> allowed(Class<? extends Operation> op) {
        return RULES.getOrDefault(op, Set.of());
    }

    /** True if {@code op} is allowed on a VM in {@code state}. Operations without a rule are allowed. */
    public static boolean allows(Class<? extends Operation> op, VmState state) {
        Set<VmState> allowed = RULES.get(op);
        return allowed == null || allowed.contains(state);
    }

    /**
     * Fails with WRONG_STATE unless {@code op} is allowed on VM {@code vm} in {@code state}; the
     * message names the state, the allowed states and, where one exists, the operation to use instead.
     */
    public static void require(Class<? extends Operation> op, String vm, VmState state) {
        if (allows(op, state)) {
            return;
        }
        String allowedList = RULES.get(op).stream().map(Enum::name).collect(Collectors.joining(", "));
        String hint = HINTS.getOrDefault(op, Map.of()).get(state);
        throw new HpcvirtException(ErrorCode.WRONG_STATE, "cannot " + verb(op) + " VM '" + vm + "' in state " + state
                + " (allowed in " + allowedList + ")" + (hint == null ? "" : "; " + hint));
    }

    /** The operation's name as a user types it ({@code SuspendCheckpoint} → "suspend-checkpoint"). */
    public static String verb(Class<? extends Operation> op) {
        return op.getSimpleName().replaceAll("([a-z])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
    }
}
