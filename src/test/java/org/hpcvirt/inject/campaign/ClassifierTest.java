package org.hpcvirt.inject.campaign;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.hpcvirt.inject.Fault;
import org.hpcvirt.inject.Injection;
import org.junit.jupiter.api.Test;

class ClassifierTest {
    private static final Instant T0 = Instant.parse("2026-11-23T10:00:00Z");
    private static final RunObserver.Detections NONE = new RunObserver.Detections(null, null, null, null, null);

    @Test
    void panicAndConsoleMeanGuestCrashWithEarliestLatency() {
        var seen = new RunObserver.Detections(T0.plusMillis(150), T0.plusMillis(2300), T0.plusMillis(120), "Oops", null);
        Classifier.Verdict v = Classifier.classify(Fault.KERNCRASH, Injection.fired(Fault.KERNCRASH, T0, "x"), T0, seen, null);
        assertThat(v.outcome()).isEqualTo(Outcome.CRASH);
        assertThat(v.scope()).isEqualTo("guest");
        assertThat(v.detectedBy()).containsExactly("console", "guest-panicked", "heartbeat-loss");
        assertThat(v.latencyMs()).isEqualTo(120);
    }

    @Test
    void vmmExitWinsAndHeartbeatLossAloneIsAHang() {
        var exit = new RunObserver.Detections(null, null, null, null, T0.plusMillis(5));
        assertThat(Classifier.classify(Fault.VMM_SIGKILL, Injection.fired(Fault.VMM_SIGKILL, T0, ""), T0, exit, null).scope())
                .isEqualTo("vmm");
        var loss = new RunObserver.Detections(null, T0.plusMillis(2100), null, null, null);
        Classifier.Verdict v = Classifier.classify(Fault.KERNEL_HANG, Injection.fired(Fault.KERNEL_HANG, T0, ""), T0, loss, null);
        assertThat(v.outcome()).isEqualTo(Outcome.HANG);
        assertThat(v.latencyMs()).isEqualTo(2100);
    }

    @Test
    void processFaultsAreJudgedByExitStatus() {
        Injection segv = new Injection(Fault.SEGFAULT, T0, "", 139, T0.plusMillis(30), null);
        Classifier.Verdict v = Classifier.classify(Fault.SEGFAULT, segv, T0, NONE, null);
        assertThat(v.outcome()).isEqualTo(Outcome.CRASH);
        assertThat(v.scope()).isEqualTo("process");
        assertThat(v.latencyMs()).isEqualTo(30);
        Injection busy = new Injection(Fault.BUSY_LOOP, T0, "", 137, T0.plusSeconds(2), null);
        assertThat(Classifier.classify(Fault.BUSY_LOOP, busy, T0, NONE, null).outcome()).isEqualTo(Outcome.HANG);
    }

    @Test
    void softErrorsCompareWithGolden() {
        Injection same = new Injection(Fault.BITFLIP_MEMORY, T0, "", 0, T0, "00000000000000aa");
        assertThat(Classifier.classify(Fault.BITFLIP_MEMORY, same, T0, NONE, "00000000000000aa").outcome()).isEqualTo(Outcome.BENIGN);
        Classifier.Verdict sdc = Classifier.classify(Fault.BITFLIP_MEMORY, same, T0, NONE, "00000000000000bb");
        assertThat(sdc.outcome()).isEqualTo(Outcome.SDC);
        assertThat(sdc.detected()).isFalse();
        Injection none = new Injection(Fault.BITFLIP_MEMORY, T0, "", -1, null, null);
        assertThat(Classifier.classify(Fault.BITFLIP_MEMORY, none, T0, NONE, "aa").outcome()).isEqualTo(Outcome.HANG);
    }

    @Test
    void percentileIsNearestRank() {
        assertThat(CampaignReport.percentile(new long[] {10, 20, 30, 40, 50}, 50)).isEqualTo(30);
        assertThat(CampaignReport.percentile(new long[] {10, 20, 30, 40, 50}, 95)).isEqualTo(50);
        assertThat(CampaignReport.percentile(new long[0], 50)).isEqualTo(-1);
    }
}
