package org.hpcvirt.ft.live;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.VmEvent;
import org.hpcvirt.api.VmState;
import org.hpcvirt.ft.PolicyKind;
import org.hpcvirt.ft.PolicySettings;
import org.hpcvirt.ft.ProactiveAction;
import org.hpcvirt.ft.TrustRule;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The live executor against recorded (fake) mechanisms; the real ones are exercised by the two-node IT. */
class LiveFtExecutorTest {
    /** Records calls and keeps each VM's node. */
    static final class Recorder implements FtMechanisms {
        final List<String> calls = new CopyOnWriteArrayList<>();
        final Map<String, String> node = new ConcurrentHashMap<>();
        volatile boolean failCheckpoints;

        @Override
        public void checkpoint(String vm) {
            if (failCheckpoints) {
                throw new HpcvirtException(org.hpcvirt.api.ErrorCode.OPERATION_FAILED, "disk full");
            }
            calls.add("checkpoint " + vm);
        }

        @Override
        public void migrate(String vm, String target) {
            calls.add("migrate " + vm + " " + nodeOf(vm) + "->" + target);
            node.put(vm, target);
        }

        @Override
        public void pauseToStorage(String vm, String target) {
            calls.add("pause " + vm + " " + nodeOf(vm) + "->" + target);
            node.put(vm, target);
        }

        @Override
        public void restartFromLatest(String vm, String target) {
            calls.add("restart " + vm + " on " + target);
            node.put(vm, target);
        }

        @Override
        public boolean owns(String vm) {
            return true;
        }

        @Override
        public String nodeOf(String vm) {
            return node.getOrDefault(vm, "A");
        }

        @Override
        public String spareNode(String failing) {
            return failing.equals("A") ? "B" : "A";
        }

        long count(String prefix) {
            return calls.stream().filter(c -> c.startsWith(prefix)).count();
        }
    }

    private final Recorder mech = new Recorder();
    private final List<VmEvent> decisions = new CopyOnWriteArrayList<>();
    private final LiveFtExecutor exec = new LiveFtExecutor(mech, decisions::add, System::nanoTime);

    @AfterEach
    void close() {
        exec.close();
    }

    private static TrustRule trust() {
        return new TrustRule(0.9, 0.1, 1, 0); // 0.9 × (work at risk + R 1 s) > Cp 0.1 s: predictions are worth acting on
    }

    @Test
    void reactiveCheckpointsPeriodicallyAndRestartsAfterAFailureOnASpareNode() throws Exception {
        exec.watch("vm1", new PolicySettings(PolicyKind.REACTIVE, 0.2, ProactiveAction.MIGRATE, trust()));
        await().atMost(Duration.ofSeconds(10)).until(() -> mech.count("checkpoint") >= 3);
        exec.onVmEvent(VmEvent.of("vm1", VmEvent.Type.QEMU_EXITED, VmState.CRASHED, "QEMU exited unexpectedly"));
        await().atMost(Duration.ofSeconds(10)).until(() -> mech.calls.contains("restart vm1 on B"));
        long before = mech.count("checkpoint");
        await().atMost(Duration.ofSeconds(10)).until(() -> mech.count("checkpoint") > before);
        assertThat(decisions).allSatisfy(d -> assertThat(d.type()).isEqualTo(VmEvent.Type.FT_DECISION));
        assertThat(decisions).anySatisfy(d -> assertThat(d.message()).contains("failure detected on node A"));
        assertThat(decisions).anySatisfy(d -> assertThat(d.message()).contains("restart from the latest checkpoint on node B"));
    }

    @Test
    void otherVmsAndHarmlessEventsAreNotFailures() throws Exception {
        exec.watch("vm1", new PolicySettings(PolicyKind.REACTIVE, 3600, ProactiveAction.MIGRATE, trust()));
        exec.onVmEvent(VmEvent.of("other", VmEvent.Type.QEMU_EXITED, VmState.CRASHED, "x"));
        exec.onVmEvent(VmEvent.of("vm1", VmEvent.Type.QEMU_EXITED, VmState.STOPPED, "stopped on purpose"));
        exec.onVmEvent(VmEvent.of("vm1", VmEvent.Type.HEARTBEAT_LOST, VmState.HUNG, "hung"));
        exec.drain(Duration.ofSeconds(5));
        assertThat(mech.calls).isEmpty();
    }

    @Test
    void aTrustedPredictionMovesTheVmAwayBeforeTheFailure() throws Exception {
        exec.watch("vm1", new PolicySettings(PolicyKind.PROACTIVE, Double.POSITIVE_INFINITY, ProactiveAction.MIGRATE, trust()));
        exec.drain(Duration.ofSeconds(5));
        exec.predict("A", Duration.ofSeconds(30), 0.9);
        await().atMost(Duration.ofSeconds(10)).until(() -> mech.calls.contains("migrate vm1 A->B"));
        // a prediction for the node it left does not move it again
        exec.predict("A", Duration.ofSeconds(30), 0.9);
        exec.drain(Duration.ofSeconds(5));
        assertThat(mech.count("migrate")).isEqualTo(1);
        assertThat(decisions).anySatisfy(d -> assertThat(d.message()).contains("prediction: node A fails in 30s"));
    }

    @Test
    void aPredictionNotWorthItsCostIsIgnored() throws Exception {
        // 0.9 × (work at risk ≈ 0 + R 1 s) < Cp 60 s: acting would cost more than it saves
        exec.watch("vm1", new PolicySettings(PolicyKind.PROACTIVE, Double.POSITIVE_INFINITY, ProactiveAction.MIGRATE,
                new TrustRule(0.9, 60, 1, 0)));
        exec.drain(Duration.ofSeconds(5));
        exec.predict("A", Duration.ofSeconds(120), 0.9);
        exec.drain(Duration.ofSeconds(5));
        assertThat(mech.calls).isEmpty();
        assertThat(decisions).anySatisfy(d -> assertThat(d.message()).startsWith("no action"));
    }

    @Test
    void pauseToStorageWhenTheActionSaysSo() throws Exception {
        exec.watch("vm1", new PolicySettings(PolicyKind.HYBRID, 3600, ProactiveAction.PAUSE, trust()));
        exec.drain(Duration.ofSeconds(5));
        exec.predict("A", Duration.ofSeconds(60), 0.95);
        await().atMost(Duration.ofSeconds(10)).until(() -> mech.calls.contains("pause vm1 A->B"));
    }

    @Test
    void aFailedActionIsReportedAndTheExecutorGoesOn() throws Exception {
        mech.failCheckpoints = true;
        exec.watch("vm1", new PolicySettings(PolicyKind.REACTIVE, 0.1, ProactiveAction.MIGRATE, trust()));
        await().atMost(Duration.ofSeconds(10)).until(() -> decisions.stream().anyMatch(d -> d.message().contains("failed: disk full")));
        mech.failCheckpoints = false;
        exec.predict("A", Duration.ofSeconds(1), 0.5);
        exec.drain(Duration.ofSeconds(5));
        assertThat(exec.watches("vm1")).isTrue();
    }

    @Test
    void badPredictionsAreRejected() {
        assertThatThrownBy(() -> exec.predict("A", Duration.ofSeconds(1), 1.5)).hasMessageContaining("confidence");
        assertThatThrownBy(() -> exec.predict("A", Duration.ofSeconds(-1), 0.5)).hasMessageContaining("negative");
    }
}
