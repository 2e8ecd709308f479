package org.hpcvirt.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Operation;
import org.hpcvirt.api.Operations;
import org.hpcvirt.api.RequestContext;
import org.hpcvirt.api.VmState;
import org.junit.jupiter.api.Test;

/**
 * Every operation in every VM state, through the dispatcher: allowed pairs reach the handler,
 * every other pair is refused with WRONG_STATE before the handler runs, naming the state and the
 * allowed states.
 */
class PreconditionsTest {
    private static final String VM = "vm1";

    private static List<Class<? extends Operation>> vmOperations() {
        return Operations.all().stream().filter(Operation.VmOperation.class::isAssignableFrom).toList();
    }

    @Test
    void everyOperationOnAVmHasARule() {
        assertThat(Preconditions.covered()).containsAll(vmOperations());
        for (Class<? extends Operation> op : Preconditions.covered()) {
            assertThat(Preconditions.allowed(op)).as(op.getSimpleName()).isNotEmpty().doesNotContain(VmState.DESTROYED);
        }
    }

    @Test
    void everyOperationInEveryStateIsAllowedExactlyByTheTable() {
        List<String> reached = new ArrayList<>();
        for (VmState state : VmState.values()) {
            Dispatcher d = new Dispatcher(name -> VM.equals(name) ? Optional.of(state) : Optional.empty());
            for (Class<? extends Operation> type : Operations.all()) {
                register(d, type, reached);
            }
            for (Class<? extends Operation> type : vmOperations()) {
                Operation op = Operations.sample(type, VM);
                reached.clear();
                String pair = type.getSimpleName() + " in " + state;
                if (Preconditions.allowed(type).contains(state)) {
                    assertThat(d.execute(op, RequestContext.INTERNAL)).as(pair).isEqualTo("done");
                    assertThat(reached).as(pair).containsExactly(type.getSimpleName());
                } else {
                    assertThatThrownBy(() -> d.execute(op, RequestContext.INTERNAL)).as(pair)
                            .isInstanceOf(HpcvirtException.class)
                            .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.WRONG_STATE))
                            .hasMessageContaining("in state " + state)
                            .hasMessageContaining("allowed in " + Preconditions.allowed(type).stream().map(Enum::name)
                                    .collect(Collectors.joining(", ")));
                    assertThat(reached).as(pair + ": the handler must not run").isEmpty();
                }
            }
        }
    }

    @Test
    void operationsWithoutAVmStateReachTheirHandlerAlways() {
        List<String> reached = new ArrayList<>();
        Dispatcher d = new Dispatcher(name -> Optional.of(VmState.DESTROYED));
        for (Class<? extends Operation> type : Operations.all()) {
            register(d, type, reached);
        }
        for (Class<? extends Operation> type : Operations.all()) {
            if (!Operation.VmOperation.class.isAssignableFrom(type)) {
                reached.clear();
                assertThat(d.execute(Operations.sample(type, VM), RequestContext.INTERNAL)).isEqualTo("done");
                assertThat(reached).containsExactly(type.getSimpleName());
            }
        }
    }

    @Test
    void startOfASuspendedVmIsRefusedNamingWake() {
        assertThatThrownBy(() -> Preconditions.require(Operation.Start.class, VM, VmState.SUSPENDED))
                .hasMessage("cannot start VM 'vm1' in state SUSPENDED (allowed in DEFINED, STOPPED, CRASHED); a SUSPENDED VM keeps"
                        + " its memory in a checkpoint: use 'wake' to bring it back (or 'destroy' to drop it)");
    }

    /** Operations that move the VM somewhere: each allowed state must be able to go there. */
    @Test
    void allowedStatesAgreeWithTheTransitionTable() {
        Map<Class<? extends Operation>, VmState> targets = Map.of(Operation.Start.class, VmState.STARTING,
                Operation.Pause.class, VmState.PAUSED, Operation.Resume.class, VmState.RUNNING, Operation.Stop.class,
                VmState.STOPPING, Operation.Suspend.class, VmState.SUSPENDED, Operation.Migrate.class, VmState.MIGRATING,
                Operation.Restore.class, VmState.STARTING, Operation.Wake.class, VmState.STARTING, Operation.Destroy.class,
                VmState.DESTROYED);
        targets.forEach((op, target) -> {
            for (VmState s : Preconditions.allowed(op)) {
                assertThat(s.canMoveTo(target)).as(op.getSimpleName() + " allowed in " + s + " must be able to reach " + target)
                        .isTrue();
            }
        });
    }

    @Test
    void queriesAreAllowedInEveryStateButDestroyed() {
        Set<VmState> live = EnumSet.complementOf(EnumSet.of(VmState.DESTROYED));
        assertThat(Preconditions.allowed(Operation.Status.class)).isEqualTo(live);
        assertThat(Preconditions.allowed(Operation.Destroy.class)).isEqualTo(live);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static void register(Dispatcher d, Class<? extends Operation> type, List<String> reached) {
        d.on((Class) type, (Dispatcher.Handler) (op, ctx) -> {
            reached.add(type.getSimpleName());
            return "done";
        });
    }
}
