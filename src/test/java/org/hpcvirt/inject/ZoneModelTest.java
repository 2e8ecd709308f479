package org.hpcvirt.inject;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.util.List;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.enclave.IsolationLevel;
import org.junit.jupiter.api.Test;

class ZoneModelTest {
    @Test
    void zonesTwoAndFourAreLimitedAndZoneOneGlobalEverywhere() {
        for (String b : ZoneModel.KNOWN_BACKENDS) {
            for (IsolationLevel l : IsolationLevel.values()) {
                assertThat(ZoneModel.disposition(ErrorZone.HOST_USER, b, l).effect()).isEqualTo(Effect.LIMITED);
                assertThat(ZoneModel.disposition(ErrorZone.GUEST_USER, b, l).effect()).isEqualTo(Effect.LIMITED);
                assertThat(ZoneModel.disposition(ErrorZone.HOST_KERNEL, b, l).effect()).isEqualTo(Effect.GLOBAL);
                assertThat(ZoneModel.disposition(ErrorZone.HOST_KERNEL, b, l).injectable()).isFalse();
            }
        }
    }

    @Test
    void zoneThreeFollowsTheIsolationContinuum() {
        assertThat(ZoneModel.disposition(ErrorZone.GUEST_KERNEL, "qemu", IsolationLevel.PERFORMANCE).behavesLike())
                .isEqualTo(ErrorZone.GUEST_USER);
        assertThat(ZoneModel.disposition(ErrorZone.GUEST_KERNEL, "kvm", IsolationLevel.STRICT).effect()).isEqualTo(Effect.LIMITED);
        assertThat(ZoneModel.disposition(ErrorZone.GUEST_KERNEL, "kvm", IsolationLevel.PERFORMANCE).effect()).isEqualTo(Effect.VARIED);
        ZoneModel.Disposition c = ZoneModel.disposition(ErrorZone.GUEST_KERNEL, "container", IsolationLevel.STRICT);
        assertThat(c.effect()).isEqualTo(Effect.GLOBAL);
        assertThat(c.behavesLike()).isEqualTo(ErrorZone.HOST_KERNEL);
        assertThat(c.injectable()).isFalse();
    }

    @Test
    void faultsOnTheHostKernelAreRefusedWithAReason() {
        assertThatThrownBy(() -> ZoneModel.requireInjectable(Fault.KERNCRASH, "container", IsolationLevel.STRICT))
                .isInstanceOfSatisfying(HpcvirtException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.REFUSED))
                .hasMessageContaining("the guest kernel is the host kernel").hasMessageContaining("real host kernel");
        assertThatThrownBy(() -> ZoneModel.requireInjectable(Fault.HOST_KERNEL_PANIC, "qemu", IsolationLevel.STRICT))
                .isInstanceOfSatisfying(HpcvirtException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.REFUSED));
        assertThatThrownBy(() -> InjectorCatalog.forFault(Fault.HOST_KERNEL_PANIC))
                .isInstanceOfSatisfying(HpcvirtException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.REFUSED));
        assertThatCode(() -> ZoneModel.requireInjectable(Fault.KERNCRASH, "qemu", IsolationLevel.PERFORMANCE)).doesNotThrowAnyException();
    }

    @Test
    void tableCoversEveryZoneBackendAndLevel() {
        assertThat(ZoneModel.table(List.of("qemu", "kvm"))).hasSize(4 * 2 * 3);
    }

    @Test
    void faultOptionsAreChecked() {
        assertThatThrownBy(() -> new FaultOptions(Fault.SEGFAULT, java.util.Map.of("delay", "1")))
                .hasMessageContaining("fault segfault has no option 'delay' (known: none)");
        assertThatThrownBy(() -> new FaultOptions(Fault.KERNCRASH, java.util.Map.of("delay", "9999")))
                .hasMessageContaining("must be 0..3600, not 9999");
        assertThat(new FaultOptions(Fault.KERNCRASH, java.util.Map.of("delay", "3")).integer("delay", 1, 0, 3600)).isEqualTo(3);
        assertThatThrownBy(() -> Fault.parse("meltdown")).hasMessageContaining("unknown fault 'meltdown' (known: kerncrash");
        assertThatThrownBy(() -> IsolationLevel.parse("loose")).hasMessageContaining("known: strict, balanced, performance");
    }
}
