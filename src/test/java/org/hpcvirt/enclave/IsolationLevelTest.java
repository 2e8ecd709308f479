package org.hpcvirt.enclave;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.backend.LaunchSpec;
import org.hpcvirt.backend.qemu.QemuCommandLine;
import org.hpcvirt.profile.VmProfile;
import org.junit.jupiter.api.Test;

/** The documented mapping of isolation levels to QEMU and cgroup choices, and how it reaches QEMU's command line. */
class IsolationLevelTest {
    private static final long MIB = 1L << 20;

    @Test
    void theMappingTable() {
        IsolationLevel.Choices strict = IsolationLevel.STRICT.choices();
        assertThat(strict.exclusiveCpuset()).isTrue();
        assertThat(strict.sharedMemoryAllowed()).isFalse();
        assertThat(strict.memLock()).isTrue();
        assertThat(strict.sandbox()).isTrue();
        assertThat(strict.hugePages()).isEqualTo(HugePages.NO);
        IsolationLevel.Choices balanced = IsolationLevel.BALANCED.choices();
        assertThat(balanced.exclusiveCpuset()).isTrue();
        assertThat(balanced.sharedMemoryAllowed()).isFalse();
        assertThat(balanced.memLock()).isFalse();
        assertThat(balanced.sandbox()).isTrue();
        assertThat(balanced.hugePages()).isEqualTo(HugePages.YES);
        IsolationLevel.Choices perf = IsolationLevel.PERFORMANCE.choices();
        assertThat(perf.exclusiveCpuset()).isFalse();
        assertThat(perf.sharedMemoryAllowed()).isTrue();
        assertThat(perf.memLock()).isFalse();
        assertThat(perf.sandbox()).isFalse();
        assertThat(perf.hugePages()).isEqualTo(HugePages.YES);
    }

    private static VmProfile enclave(IsolationLevel level, long hugePageBytes, List<VmProfile.SharedMemory> links) {
        IsolationLevel.Choices c = level.choices();
        return new VmProfile("e1", "qemu", 1, 128 * MIB, null, VmProfile.Network.NONE, "default", Duration.ofMillis(500),
                Duration.ofSeconds(5), List.of(), "", null)
                .withPartition(new VmProfile.Partition("e1", level.id(), List.of(1), "/sys/fs/cgroup/cpuset/hpcvirt/e1/cgroup.procs",
                        true, c.memLock(), hugePageBytes, "no", c.sandbox(), links));
    }

    @Test
    void strictLocksPreallocatedMemoryAndSandboxesQemu() {
        List<String> a = QemuCommandLine.partitionArgs(enclave(IsolationLevel.STRICT, 0, List.of()));
        assertThat(String.join(" ", a)).isEqualTo("-machine memory-backend=enclave-ram"
                + " -object memory-backend-ram,id=enclave-ram,size=134217728,prealloc=on"
                + " -overcommit mem-lock=on -sandbox " + QemuCommandLine.SANDBOX);
    }

    @Test
    void hugePagesComeFromAMemfdAndLinksAreIvshmemPlainDevices() {
        List<String> a = QemuCommandLine.partitionArgs(enclave(IsolationLevel.PERFORMANCE, 2 * MIB,
                List.of(new VmProfile.SharedMemory("ring", "e2", "/dev/shm/hpcvirt-ring", MIB, "isolate"))));
        assertThat(String.join(" ", a)).isEqualTo("-machine memory-backend=enclave-ram"
                + " -object memory-backend-memfd,id=enclave-ram,size=134217728,hugetlb=on,hugetlbsize=2097152,prealloc=on"
                + " -object memory-backend-file,id=shm-ring,size=1048576,mem-path=/dev/shm/hpcvirt-ring,share=on"
                + " -device ivshmem-plain,memdev=shm-ring,id=ivshmem-ring,master=on");
    }

    @Test
    void anOrdinaryVmGetsNoneOfIt() {
        VmProfile plain = enclave(IsolationLevel.STRICT, 0, List.of()).withPartition(null);
        assertThat(QemuCommandLine.partitionArgs(plain)).isEmpty();
        List<String> w = QemuCommandLine.wrapped(new LaunchSpec(plain, Path.of("/tmp/r"), Path.of("k"), Path.of("i"), null, null, false),
                QemuCommandLine.Accel.TCG);
        assertThat(w).doesNotContain("sh", "-sandbox", "-overcommit");
    }

    @Test
    void qemuJoinsTheCgroupBeforeItStarts() {
        VmProfile p = enclave(IsolationLevel.BALANCED, 0, List.of());
        List<String> w = QemuCommandLine.wrapped(new LaunchSpec(p, Path.of("/tmp/r"), Path.of("k"), Path.of("i"), null, null, false),
                QemuCommandLine.Accel.TCG);
        assertThat(w.subList(0, 6)).containsExactly("setsid", "sh", "-c", "echo $$ > \"$0\" && exec \"$@\"",
                "/sys/fs/cgroup/cpuset/hpcvirt/e1/cgroup.procs", QemuCommandLine.binary());
        assertThat(w).contains("-sandbox").doesNotContain("-overcommit");
    }

    @Test
    void hugePageDecision() {
        HugePagePool empty = new HugePagePool(2 * MIB, 0, 0);
        HugePagePool enough = new HugePagePool(2 * MIB, 128, 64);
        assertThat(empty.decide("e1", HugePages.NO, 128 * MIB)).isZero();
        assertThat(empty.decide("e1", HugePages.YES, 128 * MIB)).isZero();
        assertThat(enough.decide("e1", HugePages.YES, 128 * MIB)).isEqualTo(2 * MIB);
        assertThat(enough.decide("e1", HugePages.REQUIRED, 128 * MIB)).isEqualTo(2 * MIB);
        assertThatThrownBy(() -> empty.decide("e1", HugePages.REQUIRED, 128 * MIB))
                .isInstanceOf(HpcvirtException.class)
                .hasMessage("enclave 'e1' requires huge pages: the 2M pool has 0 free page(s) of 0, it needs 64; fill it as root with"
                        + " 'echo 64 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages' or set hugepages: yes to fall back to"
                        + " ordinary pages")
                .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.REFUSED));
        assertThatThrownBy(() -> enough.decide("e1", HugePages.REQUIRED, 127 * MIB)).hasMessageContaining("not a whole number");
    }

    @Test
    void showDescribesTheChoices() {
        VmProfile p = enclave(IsolationLevel.STRICT, 0, List.of());
        List<String> lines = EnclaveService.choices(IsolationLevel.STRICT, p.partition(), false);
        assertThat(lines).hasSize(4);
        assertThat(lines.get(0)).contains("dedicated").contains("requested, not granted");
        assertThat(lines.get(1)).isEqualTo("shared memory with other enclaves: forbidden");
        assertThat(lines.get(2)).contains("preallocated, locked in host RAM (mem-lock=on)").contains("ordinary pages");
        assertThat(lines.get(3)).contains("seccomp sandbox");
    }
}
