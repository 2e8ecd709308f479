package org.hpcvirt.ft;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The policies driven by hand, as a live executor would drive them. */
class PolicyBehaviourTest {
    private static final TrustRule TRUST = new TrustRule(0.5, 60, 0, 0); // trust when risk > 120 s

    @Test
    void reactiveCheckpointsEveryPeriodOfWorkAndRestartsAfterAFailure() {
        FtPolicy p = FtPolicy.create(new PolicySettings(PolicyKind.REACTIVE, 100, ProactiveAction.MIGRATE, TRUST));
        assertThat(p.on(new FtEvent.Started(1000))).containsExactly(new FtAction.ScheduleTick(1100));
        assertThat(p.on(new FtEvent.Tick(1050))).allMatch(a -> a instanceof FtAction.Nothing);
        assertThat(p.on(new FtEvent.Tick(1100))).containsExactly(new FtAction.Checkpoint());
        assertThat(p.on(new FtEvent.CheckpointDone(1110, 10))).containsExactly(new FtAction.ScheduleTick(1210));
        assertThat(p.on(new FtEvent.Prediction(1150, "n1", 1300))).allMatch(a -> a instanceof FtAction.Nothing);
        assertThat(p.on(new FtEvent.Failure(1160, "n1"))).containsExactly(new FtAction.Restart());
        assertThat(p.on(new FtEvent.Tick(1210))).allMatch(a -> a instanceof FtAction.Nothing);
        assertThat(p.on(new FtEvent.RestartDone(1200))).containsExactly(new FtAction.ScheduleTick(1300));
    }

    @Test
    void proactiveTrustsAPredictionOnlyWhenEnoughWorkIsAtRisk() {
        FtPolicy p = FtPolicy.create(new PolicySettings(PolicyKind.PROACTIVE, 100, ProactiveAction.MIGRATE, TRUST));
        assertThat(p.on(new FtEvent.Started(0))).isEmpty();
        assertThat(single(p.on(new FtEvent.Prediction(100, "n7", 400)))).isInstanceOf(FtAction.Nothing.class);
        assertThat(p.on(new FtEvent.Prediction(130, "n7", 400))).containsExactly(new FtAction.Migrate("n7"));
        // Too late: lead 30 s < Cp 60 s.
        assertThat(single(p.on(new FtEvent.Prediction(500, "n8", 530)))).isInstanceOf(FtAction.Nothing.class);
        // A migration produces no work: 130 s at risk at 200 minus the 60 s migration = 70 s < 120 s.
        p.on(new FtEvent.ProactiveDone(190, "n7", ProactiveAction.MIGRATE, 60));
        assertThat(single(p.on(new FtEvent.Prediction(200, "n9", 900)))).isInstanceOf(FtAction.Migrate.class);
    }

    @Test
    void hybridHoldsTicksDuringAProactiveActionAndShiftsTheSchedule() {
        FtPolicy p = FtPolicy.create(new PolicySettings(PolicyKind.HYBRID, 1000, ProactiveAction.MIGRATE, new TrustRule(1, 10, 0, 0)));
        assertThat(p.on(new FtEvent.Started(0))).containsExactly(new FtAction.ScheduleTick(1000));
        assertThat(p.on(new FtEvent.Prediction(990, "n1", 1100))).containsExactly(new FtAction.Migrate("n1"));
        assertThat(single(p.on(new FtEvent.Tick(1000)))).isInstanceOf(FtAction.Nothing.class);
        assertThat(p.on(new FtEvent.ProactiveDone(1020, "n1", ProactiveAction.MIGRATE, 30))).containsExactly(new FtAction.ScheduleTick(1030));
        assertThat(p.on(new FtEvent.Tick(1030))).containsExactly(new FtAction.Checkpoint());
    }

    @Test
    void pauseToStorageIsARestartPoint() {
        FtPolicy p = FtPolicy.create(new PolicySettings(PolicyKind.HYBRID, 1000, ProactiveAction.PAUSE, new TrustRule(1, 10, 0, 0)));
        p.on(new FtEvent.Started(0));
        assertThat(p.on(new FtEvent.Prediction(500, "n1", 700))).containsExactly(new FtAction.PauseToStorage("n1"));
        assertThat(p.on(new FtEvent.ProactiveDone(520, "n1", ProactiveAction.PAUSE, 20))).containsExactly(new FtAction.ScheduleTick(1520));
    }

    @Test
    void noneNeverCheckpoints() {
        FtPolicy p = FtPolicy.create(new PolicySettings(PolicyKind.NONE, 100, ProactiveAction.MIGRATE, TRUST));
        assertThat(p.on(new FtEvent.Started(0))).isEmpty();
        assertThat(p.on(new FtEvent.Failure(10, "n1"))).containsExactly(new FtAction.Restart());
        assertThat(p.kind()).isEqualTo(PolicyKind.NONE);
    }

    private static FtAction single(List<FtAction> actions) {
        assertThat(actions).hasSize(1);
        return actions.get(0);
    }
}
