package org.hpcvirt.enclave;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.junit.jupiter.api.Test;

class AdmissionTest {
    private static final long MIB = 1L << 20;
    private static final NodeResources NODE = new NodeResources(List.of(0, 1, 2, 3), 4096 * MIB, new NodeReserve(List.of(0), 1024 * MIB));

    private static EnclaveSpec spec(String name, List<Integer> cores, int count, long mib) {
        return new EnclaveSpec(name, cores, count, mib * MIB, HugePages.NO, IsolationLevel.STRICT, null, List.of());
    }

    @Test
    void aCountTakesTheLowestFreeCoresOutsideTheReserve() {
        List<Admission.Claim> held = List.of(new Admission.Claim("a", List.of(1), 128 * MIB));
        assertThat(Admission.admit(spec("b", List.of(), 2, 128), held, NODE)).containsExactly(2, 3);
    }

    @Test
    void aCoreHeldByAnotherEnclaveIsRefusedNamingIt() {
        List<Admission.Claim> held = List.of(new Admission.Claim("a", List.of(1, 2), 128 * MIB));
        assertThatThrownBy(() -> Admission.admit(spec("b", List.of(2), 1, 128), held, NODE))
                .isInstanceOf(HpcvirtException.class)
                .hasMessage("enclave 'b': core 2 belongs to enclave 'a' (cores 1-2)")
                .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.REFUSED));
    }

    @Test
    void reservedCoresAreRefused() {
        assertThatThrownBy(() -> Admission.admit(spec("b", List.of(0), 1, 128), List.of(), NODE))
                .hasMessage("enclave 'b': core 0 is reserved for the host (reservedCores 0)");
    }

    @Test
    void tooFewFreeCoresNamesWhoHoldsThem() {
        List<Admission.Claim> held = List.of(new Admission.Claim("a", List.of(1, 2), 128 * MIB));
        assertThatThrownBy(() -> Admission.admit(spec("b", List.of(), 2, 128), held, NODE))
                .hasMessage("enclave 'b' needs 2 core(s); free: 3 (enclave 'a' holds 1-2; reserved for the host: 0)");
    }

    @Test
    void memoryBeyondMemTotalMinusReserveIsRefusedNamingTheOthers() {
        List<Admission.Claim> held = List.of(new Admission.Claim("a", List.of(1), 2048 * MIB));
        assertThat(Admission.admit(spec("b", List.of(2), 1, 1024), held, NODE)).containsExactly(2);
        assertThatThrownBy(() -> Admission.admit(spec("b", List.of(2), 1, 1025), held, NODE))
                .hasMessage("enclave 'b' needs 1025M of memory; enclaves may take 3G (MemTotal 4G minus 1G for the host)"
                        + " and enclave 'a' holds 2G");
    }

    @Test
    void anOrdinaryVmPinnedToAnEnclavesCoreIsRefusedNamingTheEnclave() {
        List<Admission.Claim> held = List.of(new Admission.Claim("solver", List.of(1), 128 * MIB));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Admission.admitPinnedVm("web", List.of(0, 1), held))
                .isInstanceOf(org.hpcvirt.api.HpcvirtException.class)
                .hasMessage("VM 'web': pinning: core 1 belongs to enclave 'solver' (cores 1); an enclave's cores are dedicated to it");
        Admission.admitPinnedVm("web", List.of(0), held);
        Admission.admitPinnedVm("web", List.of(), held);
    }
}
