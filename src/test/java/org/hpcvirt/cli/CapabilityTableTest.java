package org.hpcvirt.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.hpcvirt.backend.BackendRegistry;
import org.hpcvirt.backend.Capabilities;
import org.hpcvirt.backend.Capability;
import org.junit.jupiter.api.Test;

/** The capability matrix as {@code hpcvirt backends} prints it. */
class CapabilityTableTest {
    private static BackendRegistry.Described row(String name, boolean usable, Capabilities c) {
        return new BackendRegistry.Described(name, "d", usable, usable ? "ok" : "cannot", "1", c.cells());
    }

    @Test
    void oneRowPerBackendOneColumnPerCapabilityAndEveryNoExplained() {
        String out = CapabilityTable.render(List.of(
                row("qemu", true, Capabilities.all()),
                row("kvm", false, Capabilities.none("KVM present but cannot boot a guest here")),
                row("container", true, Capabilities.all().without(Capability.CHECKPOINT, "criu not installed")
                        .without(Capability.KERNEL_FAULTS, "the guest kernel is the host kernel"))));
        List<String> lines = out.lines().toList();
        assertThat(lines.get(0)).isEqualTo("BACKEND    LIFECYCLE  PAUSE  CHECKPOINT  MIGRATE  MEMORY ACCESS  KERNEL FAULTS  DATA DISK");
        assertThat(lines.get(1)).isEqualTo("qemu       yes        yes    yes         yes      yes            yes            yes");
        assertThat(lines.get(2)).isEqualTo("kvm        no         no     no          no       no             no             no");
        assertThat(lines.get(3)).isEqualTo("container  yes        yes    no          yes      yes            no             yes");
        assertThat(out).contains("\nno, because:\n")
                .contains("  kvm — every capability: KVM present but cannot boot a guest here\n")
                .contains("  container — checkpoint: criu not installed\n")
                .contains("  container — kernel faults: the guest kernel is the host kernel\n")
                .doesNotContain("qemu —");
    }

    @Test
    void capabilitiesSharingAReasonShareALine() {
        String out = CapabilityTable.render(List.of(row("c", true,
                Capabilities.all().without(Capability.CHECKPOINT, "no criu").without(Capability.MIGRATE, "no criu"))));
        assertThat(out).contains("  c — checkpoint, migrate: no criu\n");
    }

    @Test
    void withEverythingPresentThereIsNothingToExplain() {
        assertThat(CapabilityTable.render(List.of(row("qemu", true, Capabilities.all())))).doesNotContain("because");
    }
}
