package org.hpcvirt.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.hpcvirt.api.Access;
import org.hpcvirt.api.Caller;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Operation;
import org.hpcvirt.api.Operations;
import org.hpcvirt.api.RequestContext;
import org.hpcvirt.api.VmState;
import org.hpcvirt.checkpoint.CheckpointManifest;
import org.hpcvirt.vm.VmStatus;
import org.junit.jupiter.api.Test;

@SuppressWarnings("unchecked")
class AuthorizerTest {
    private static final Map<String, String> OWNERS = Map.of("a1", "alice", "b1", "bob");
    private static final Map<String, CheckpointManifest> CHECKPOINTS = Map.of(
            "ck-b", manifest("ck-b", "b1", "bob"), "ck-a", manifest("ck-a", "a1", "alice"), "ck-old", manifest("ck-old", "a1", null));
    private static final RequestContext ALICE = ctx(Caller.user("alice", 1001));
    private static final RequestContext ADMIN = ctx(Caller.admin("carol", 1003));

    private static Authorizer authorizer(boolean readOthers) {
        return new Authorizer(name -> Optional.ofNullable(OWNERS.get(name)), id -> {
            CheckpointManifest m = CHECKPOINTS.get(id);
            if (m == null) {
                throw HpcvirtException.notFound("checkpoint '" + id + "'");
            }
            return m;
        }, vm -> CHECKPOINTS.values().stream().filter(m -> m.vm().equals(vm)).toList(), "hpcvirt-admin", readOthers);
    }

    private static RequestContext ctx(Caller c) {
        return new RequestContext("unix", null, c);
    }

    private static CheckpointManifest manifest(String id, String vm, String owner) {
        return new CheckpointManifest(CheckpointManifest.FORMAT, id, vm, null, Instant.EPOCH, null, "qemu", "7.2", false, 0, 0, 0, -1, -1,
                -1, null, 0, List.of(), List.of(), owner);
    }

    private static VmStatus status(String name, String owner) {
        return new VmStatus(name, owner, VmState.RUNNING, "qemu", 1, 1 << 27, 1, 1, 1, 1, 0, 0, Instant.EPOCH);
    }

    private static void forbidden(Runnable r, String message) {
        assertThatThrownBy(r::run)
                .isInstanceOfSatisfying(HpcvirtException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.FORBIDDEN))
                .hasMessageContaining(message);
    }

    @Test
    void everyOperationTypeHasAnAccessAndLocalUsersMayNotStopTheNodeOrReceiveMigrations() {
        for (Class<? extends Operation> type : Operations.all()) {
            assertThatCode(() -> Access.of(type)).as(type.getSimpleName()).doesNotThrowAnyException();
        }
        assertThat(Access.of(Operation.StopDaemon.class)).isEqualTo(Access.ADMIN);
        assertThat(Access.of(Operation.PrepareIncoming.class)).isEqualTo(Access.ADMIN);
        assertThat(Access.of(Operation.Status.class)).isEqualTo(Access.READ);
        forbidden(() -> authorizer(false).admit(new Operation.StopDaemon(), ALICE),
                "'stop daemon' is for administrators (root and members of group hpcvirt-admin), not alice");
        assertThatCode(() -> authorizer(false).admit(new Operation.StopDaemon(), ADMIN)).doesNotThrowAnyException();
    }

    @Test
    void aUserActsOnTheirOwnVmsOnlyAndTheAdminOnAll() {
        Authorizer a = authorizer(false);
        assertThatCode(() -> a.admit(new Operation.Pause("a1"), ALICE)).doesNotThrowAnyException();
        forbidden(() -> a.admit(new Operation.Pause("b1"), ALICE), "VM 'b1' is not alice's: only its owner and administrators");
        forbidden(() -> a.admit(new Operation.Status("b1"), ALICE), "may see it");
        assertThatCode(() -> a.admit(new Operation.Pause("b1"), ADMIN)).doesNotThrowAnyException();
        // a VM that does not exist is the handler's NOT_FOUND, not a refusal
        assertThatCode(() -> a.admit(new Operation.Status("nosuch"), ALICE)).doesNotThrowAnyException();
    }

    @Test
    void readingOthersIsASettingAndNeverOpensTheConsoleOrAChange() {
        Authorizer open = authorizer(true);
        assertThatCode(() -> open.admit(new Operation.Status("b1"), ALICE)).doesNotThrowAnyException();
        assertThatCode(() -> open.admit(new Operation.GetCheckpoint("ck-b", false), ALICE)).doesNotThrowAnyException();
        forbidden(() -> open.admit(new Operation.Console("b1", 0L), ALICE), "is not alice's");
        forbidden(() -> open.admit(new Operation.Counter("b1"), ALICE), "is not alice's");
        forbidden(() -> open.admit(new Operation.Stop("b1", null, null), ALICE), "is not alice's");
        List<VmStatus> both = List.of(status("a1", "alice"), status("b1", "bob"));
        assertThat((List<Object>) open.visible(new Operation.ListVms(), ALICE, both)).hasSize(2);
        assertThat((List<Object>) authorizer(false).visible(new Operation.ListVms(), ALICE, both)).containsExactly((Object) both.get(0));
        assertThat((List<Object>) authorizer(false).visible(new Operation.ListVms(), ADMIN, both)).hasSize(2);
    }

    @Test
    void checkpointsBelongToTheirVmsOwnerAndOldOnesWithoutOwnerToTheAdmins() {
        Authorizer a = authorizer(false);
        assertThatCode(() -> a.admit(new Operation.Restore("ck-a", "a2", null, null), ALICE)).doesNotThrowAnyException();
        forbidden(() -> a.admit(new Operation.Restore("ck-b", "mine", null, null), ALICE), "checkpoint ck-b is not alice's");
        // restoring her own checkpoint into bob's VM is touching bob's VM
        forbidden(() -> a.admit(new Operation.Restore("ck-a", "b1", null, null), ALICE), "VM 'b1' is not alice's");
        forbidden(() -> a.admit(new Operation.DeleteCheckpoint("ck-old"), ALICE), "checkpoint ck-old is not alice's");
        forbidden(() -> a.admit(new Operation.PruneCheckpoints("a1", 0), ALICE), "checkpoint ck-old of 'a1' is not alice's");
        assertThatCode(() -> a.admit(new Operation.DeleteCheckpoint("ck-old"), ADMIN)).doesNotThrowAnyException();
        List<CheckpointManifest> all = List.copyOf(CHECKPOINTS.values());
        assertThat((List<Object>) a.visible(new Operation.ListCheckpoints(null), ALICE, all)).containsExactly((Object) CHECKPOINTS.get("ck-a"));
        assertThatThrownBy(() -> a.admit(new Operation.GetCheckpoint("nosuch", false), ALICE))
                .isInstanceOfSatisfying(HpcvirtException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
    }

    @Test
    void onlyAdministratorsDefineForAnotherUserAndTokensStayInTheirScope() {
        Authorizer a = authorizer(false);
        assertThatCode(() -> a.admit(new Operation.Define("y", null, "alice"), ALICE)).doesNotThrowAnyException();
        forbidden(() -> a.admit(new Operation.Define("y", null, "bob"), ALICE), "only administrators may define a VM for another user ('bob')");
        assertThatCode(() -> a.admit(new Operation.Define("y", null, "bob"), ADMIN)).doesNotThrowAnyException();
        RequestContext reader = new RequestContext("tcp", "10.200.0.1", Caller.token("monitor", Access.READ));
        assertThatCode(() -> a.admit(new Operation.Status("b1"), reader)).doesNotThrowAnyException();
        forbidden(() -> a.admit(new Operation.Pause("b1"), reader), "'pause' needs scope operate; token:monitor holds read");
    }

    @Test
    void eventsOfOthersAreHiddenButTheNodesOwnAreNot() {
        Authorizer a = authorizer(false);
        Caller alice = ALICE.caller();
        assertThat(a.maySee(alice, null)).isTrue();
        assertThat(a.maySee(alice, "a1")).isTrue();
        assertThat(a.maySee(alice, "b1")).isFalse();
        assertThat(a.maySee(alice, "gone")).isFalse();
        assertThat(authorizer(true).maySee(alice, "b1")).isTrue();
        forbidden(() -> a.admit(new Operation.Events("b1", 0L, 10), ALICE), "VM 'b1' is not alice's");
    }

    @Test
    void enclavesAreTheirOwnersAndOnlyAdministratorsCreateThemForOthers() {
        Authorizer a = authorizer(false);
        assertThatCode(() -> a.admit(new Operation.CreateEnclave("y", null, null, null), ALICE)).doesNotThrowAnyException();
        forbidden(() -> a.admit(new Operation.CreateEnclave("y", null, "bob", null), ALICE),
                "only administrators may create an enclave for another user ('bob')");
        assertThatCode(() -> a.admit(new Operation.CreateEnclave("y", null, "bob", null), ADMIN)).doesNotThrowAnyException();
        forbidden(() -> a.admit(new Operation.DestroyEnclave("b1"), ALICE), "VM 'b1' is not alice's");
        forbidden(() -> a.admit(new Operation.ShowEnclave("b1"), ALICE), "may see it");
        assertThatCode(() -> a.admit(new Operation.DestroyEnclave("a1"), ALICE)).doesNotThrowAnyException();
        List<org.hpcvirt.enclave.EnclaveView> all = List.of(enclave("a1", "alice"), enclave("b1", "bob"));
        assertThat((List<org.hpcvirt.enclave.EnclaveView>) a.visible(new Operation.ListEnclaves(), ALICE, all))
                .extracting(org.hpcvirt.enclave.EnclaveView::name).containsExactly("a1");
        assertThat((List<org.hpcvirt.enclave.EnclaveView>) a.visible(new Operation.ListEnclaves(), ADMIN, all)).hasSize(2);
    }

    private static org.hpcvirt.enclave.EnclaveView enclave(String name, String owner) {
        return new org.hpcvirt.enclave.EnclaveView(name, owner, VmState.RUNNING, "strict", List.of(), List.of(1), 1 << 27, 0, "/x", "1",
                "0", false, 0, false, List.of(), List.of(), List.of());
    }
}
