package org.hpcvirt.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.junit.jupiter.api.Test;

/** A backend's row of the capability matrix. */
class CapabilitiesTest {
    @Test
    void anAbsentCapabilityKeepsItsReasonAndTheOthersStayPresent() {
        Capabilities c = Capabilities.all().without(Capability.CHECKPOINT, "criu not installed");
        assertThat(c.has(Capability.CHECKPOINT)).isFalse();
        assertThat(c.reasonAbsent(Capability.CHECKPOINT)).contains("criu not installed");
        assertThat(c.has(Capability.PAUSE)).isTrue();
        assertThat(c.reasonAbsent(Capability.PAUSE)).isEmpty();
        assertThat(Capabilities.all().has(Capability.CHECKPOINT)).as("rows are immutable").isTrue();
    }

    @Test
    void noCapabilityIsAbsentWithoutAReason() {
        assertThatThrownBy(() -> Capabilities.all().without(Capability.PAUSE, " ")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Capabilities.none(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void noneMarksEveryCapabilityAbsentForOneReason() {
        Capabilities c = Capabilities.none("crun not found (install crun)");
        for (Capability cap : Capability.values()) {
            assertThat(c.reasonAbsent(cap)).as(cap.label()).contains("crun not found (install crun)");
        }
    }

    @Test
    void requireNamesTheBackendTheCapabilityAndTheReason() {
        Capabilities c = Capabilities.all().without(Capability.KERNEL_FAULTS, "the guest kernel is the host kernel");
        c.require(Capability.PAUSE, "container", "pausing");
        assertThatThrownBy(() -> c.require(Capability.KERNEL_FAULTS, "container", "refusing to inject kerncrash"))
                .isInstanceOf(HpcvirtException.class)
                .hasMessage("refusing to inject kerncrash: backend 'container' has no kernel faults (the guest kernel is the host kernel)")
                .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.REFUSED));
    }

    @Test
    void cellsFollowTheCapabilityOrder() {
        Capabilities c = Capabilities.all().without(Capability.MIGRATE, "no");
        assertThat(c.cells()).extracting(Capabilities.Cell::capability)
                .containsExactly("lifecycle", "pause", "checkpoint", "migrate", "memory access", "kernel faults", "data disk");
        assertThat(c.cells().get(3)).isEqualTo(new Capabilities.Cell("migrate", false, "no"));
        assertThat(c.cells().get(0)).isEqualTo(new Capabilities.Cell("lifecycle", true, null));
    }

    @Test
    void aBackendThatDeclaresNothingHasLifecycleOnlyOrNothingWhenItCannotRun() {
        Backend declaresNothing = new Backend() {
            boolean usable = true;

            @Override
            public String name() {
                return "plain";
            }

            @Override
            public String description() {
                return "test";
            }

            @Override
            public ProbeResult probe() {
                return usable ? ProbeResult.ok("1") : ProbeResult.unusable("no such thing here", "");
            }

            @Override
            public Instance launch(LaunchSpec spec) {
                throw new UnsupportedOperationException();
            }

            @Override
            public Instance attach(InstanceRecord record) {
                throw new UnsupportedOperationException();
            }
        };
        Capabilities c = declaresNothing.capabilities();
        assertThat(c.has(Capability.LIFECYCLE)).isTrue();
        assertThat(c.reasonAbsent(Capability.PAUSE)).contains("not declared by backend 'plain'");
    }
}
