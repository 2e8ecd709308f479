package org.hpcvirt.inject;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.backend.Capabilities;
import org.hpcvirt.backend.Capability;
import org.hpcvirt.backend.container.ContainerBackend;
import org.hpcvirt.enclave.IsolationLevel;
import org.junit.jupiter.api.Test;

/** Which faults a backend's capabilities let through, and how a refusal reads. */
class FaultCapabilityTest {
    private static final Capabilities CONTAINER = Capabilities.all()
            .without(Capability.KERNEL_FAULTS, "the guest kernel is the host kernel (E-Zone 3 is E-Zone 1)")
            .without(Capability.MEMORY_ACCESS, "no VMM holds the workload's memory");

    @Test
    void kernelFaultsNeedKernelFaultsSoftErrorsMemoryAccessUserFaultsNothing() {
        assertThat(Fault.KERNCRASH.requiredCapability()).contains(Capability.KERNEL_FAULTS);
        assertThat(Fault.SYSRQ_CRASH.requiredCapability()).contains(Capability.KERNEL_FAULTS);
        assertThat(Fault.BITFLIP_REGISTER.requiredCapability()).contains(Capability.MEMORY_ACCESS);
        assertThat(Fault.BITFLIP_WORKLOAD.requiredCapability()).contains(Capability.MEMORY_ACCESS);
        assertThat(Fault.SEGFAULT.requiredCapability()).isEmpty();
        assertThat(Fault.VMM_SIGKILL.requiredCapability()).isEmpty();
    }

    @Test
    void aKernelFaultInAContainerIsRefusedNamingBackendCapabilityAndReason() {
        assertThatThrownBy(() -> Fault.KERNCRASH.requireSupportedBy("container", CONTAINER))
                .isInstanceOf(HpcvirtException.class)
                .hasMessage("refusing to inject kerncrash (E-Zone 3, guest kernel): backend 'container' has no kernel faults"
                        + " (the guest kernel is the host kernel (E-Zone 3 is E-Zone 1))")
                .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.REFUSED));
        // the zone model agrees, for every isolation level
        for (IsolationLevel l : IsolationLevel.values()) {
            assertThat(ZoneModel.disposition(Fault.KERNCRASH, ContainerBackend.NAME, l).injectable()).isFalse();
        }
    }

    @Test
    void userFaultsRunInAContainer() {
        Fault.SEGFAULT.requireSupportedBy("container", CONTAINER);
        Fault.BUSY_LOOP.requireSupportedBy("container", CONTAINER);
        ZoneModel.requireInjectable(Fault.SEGFAULT, ContainerBackend.NAME, IsolationLevel.values()[0]);
    }

    @Test
    void aVmmSignalIsRefusedInAContainerBecauseThereIsNoVmm() {
        assertThatThrownBy(() -> ZoneModel.requireInjectable(Fault.VMM_SIGKILL, ContainerBackend.NAME, IsolationLevel.STRICT))
                .isInstanceOf(HpcvirtException.class)
                .hasMessage("refusing to inject vmm-sigkill (E-Zone 2, host user (VMM process)) on backend 'container': there is no VMM process"
                        + " to signal: crun exits once the container runs, and the container's init is a guest process (E-Zone 4)");
        ZoneModel.requireInjectable(Fault.VMM_SIGKILL, "qemu", IsolationLevel.STRICT);
    }

    @Test
    void theContainerBackendDeclaresNoKernelFaultsWhereverItRuns() {
        Capabilities c = new ContainerBackend().capabilities();
        assertThat(c.has(Capability.KERNEL_FAULTS)).isFalse();
        assertThat(c.reasonAbsent(Capability.KERNEL_FAULTS).orElseThrow()).isNotBlank();
    }
}
