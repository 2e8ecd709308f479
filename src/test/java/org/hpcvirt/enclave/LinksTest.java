package org.hpcvirt.enclave;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.profile.VmProfile;
import org.junit.jupiter.api.Test;

class LinksTest {
    private static final long MIB = 1L << 20;

    private static EnclaveSpec spec(String name, EnclaveSpec.Link... links) {
        return new EnclaveSpec(name, List.of(1), 1, 64 * MIB, HugePages.NO, IsolationLevel.PERFORMANCE, null, List.of(links));
    }

    private static VmProfile.Partition part(String level, VmProfile.SharedMemory... links) {
        return new VmProfile.Partition("x", level, List.of(0), null, true, false, 0, "no", false, List.of(links));
    }

    private static VmProfile.SharedMemory shm(String name, String peer, long size) {
        return new VmProfile.SharedMemory(name, peer, Links.segment(name).toString(), size, "isolate");
    }

    @Test
    void theFirstEndNeedsNoPeerAndTheSecondMatchesIt() {
        assertThat(Links.check(spec("p", new EnclaveSpec.Link("ring", "c", MIB, LinkPolicy.ISOLATE)), Map.of(), n -> false))
                .containsExactly(shm("ring", "c", MIB));
        assertThat(Links.check(spec("c", new EnclaveSpec.Link("ring", "p", MIB, LinkPolicy.ISOLATE)), Map.of("p", part("performance", shm("ring", "c", MIB))),
                n -> true)).containsExactly(shm("ring", "p", MIB));
    }

    @Test
    void refusalsNameTheOtherParty() {
        EnclaveSpec c = spec("c", new EnclaveSpec.Link("ring", "p", MIB, LinkPolicy.ISOLATE));
        assertThatThrownBy(() -> Links.check(c, Map.of("p", part("strict")), n -> true))
                .isInstanceOf(HpcvirtException.class)
                .hasMessage("link 'ring' of enclave 'c': enclave 'p' is strict, which forbids shared memory")
                .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.REFUSED));
        assertThatThrownBy(() -> Links.check(c, Map.of("p", part("performance")), n -> true))
                .hasMessage("link 'ring' of enclave 'c': enclave 'p' declares no link 'ring' (declare it on both sides, each naming the other)");
        assertThatThrownBy(() -> Links.check(c, Map.of("p", part("performance", shm("ring", "c", 2 * MIB))), n -> true))
                .hasMessage("link 'ring' of enclave 'c': link 'ring' is 2M in enclave 'p', not 1M");
        assertThatThrownBy(() -> Links.check(c, Map.of("p", part("performance", shm("ring", "q", MIB))), n -> true))
                .hasMessage("link 'ring' of enclave 'c': enclave 'p' joins link 'ring' to 'q', not to 'c'");
        assertThatThrownBy(() -> Links.check(c, Map.of(), n -> n.equals("p")))
                .hasMessage("link 'ring' of enclave 'c': VM 'p' is not an enclave");
        assertThatThrownBy(() -> Links.check(c, Map.of("a", part("performance", shm("ring", "b", MIB))), n -> true))
                .hasMessage("link 'ring' of enclave 'c': link 'ring' joins enclaves 'a' and 'b' already");
    }
}
