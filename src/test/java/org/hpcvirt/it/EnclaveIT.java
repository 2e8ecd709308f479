package org.hpcvirt.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Operation;
import org.hpcvirt.api.VmState;
import org.hpcvirt.backend.qemu.VcpuPinning.VcpuThread;
import org.hpcvirt.checkpoint.CheckpointManifest;
import org.hpcvirt.enclave.EnclaveView;
import org.hpcvirt.vm.VmStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Enclaves on a real daemon with a real TCG guest: a one-core, 128 MiB strict enclave lands in its
 * own cpuset cgroup with its vCPU thread pinned (as /proc says), heartbeats and checkpoints like
 * any VM; a second enclave on its core, more memory than the node lets enclaves have, and huge
 * pages required from an empty pool are refused naming the other party and leave nothing; destroy
 * removes the cgroup and the process. Steps share one guest, so they run in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EnclaveIT {
    private static final Path CPUSET = EnclaveLeftovers.CPUSET;
    private static final String A = "encit-a";
    private static final int CORE = 1;
    private static TestNode node;
    private static long qemuPid;

    @BeforeAll
    static void startNode() throws IOException {
        node = TestNode.start();
        // no core reserved (the machine has two); memory: the node lets enclaves have 200 MiB in all
        long memTotal = Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal:"))
                .map(l -> Long.parseLong(l.replaceAll("[^0-9]", ""))).findFirst().orElseThrow() * 1024;
        long reserve = (memTotal - (200L << 20)) >> 20;
        Files.writeString(node.layout().home().resolve("enclave-node.yaml"), "reservedCores: []\nreservedMemory: " + reserve + "M\n");
    }

    @AfterAll
    static void stopNode() throws IOException {
        // never leave an enclave's cgroup behind, whatever failed
        EnclaveLeftovers.closeAndRemove(node, List.of(A, "encit-b", "encit-c", "encit-d", "encit-e", "encit-h"), List.of(Path.of("/dev/shm/hpcvirt-link-encit-fail")));
    }

    private static String file(String name, String cores, String memory, String extra) {
        return "name: " + name + "\ncores: " + cores + "\nmemory: " + memory + "\n" + extra
                + "vm:\n  backend: qemu\n  heartbeat:\n    interval: 500ms\n    timeout: 10s\n";
    }

    private static EnclaveView create(String yaml) {
        return node.client().execute(new Operation.CreateEnclave(yaml, "enclave.yaml", null, 120), EnclaveView.class);
    }

    private static String status(long pid, long tid, String key) throws IOException {
        return Files.readAllLines(Path.of("/proc", Long.toString(pid), "task", Long.toString(tid), "status")).stream()
                .filter(l -> l.startsWith(key + ":")).map(l -> l.substring(key.length() + 1).strip()).findFirst().orElse("?");
    }

    @Test
    @Order(1)
    void createPlacesQemuInTheCgroupAndPinsEachVcpu() throws IOException {
        EnclaveView v = create(file(A, "[" + CORE + "]", "128M", "isolation: strict\nhugepages: no\n"));
        assertThat(v.state()).as(node.console(A)).isEqualTo(VmState.RUNNING);
        qemuPid = v.qemuPid();
        assertThat(qemuPid).isPositive();
        Path cg = CPUSET.resolve(A);
        assertThat(Files.readString(cg.resolve("cpuset.cpus")).strip()).isEqualTo(Integer.toString(CORE));
        assertThat(Files.readAllLines(cg.resolve("cgroup.procs"))).contains(Long.toString(qemuPid));
        assertThat(v.cgroupCpus()).isEqualTo(Integer.toString(CORE));
        assertThat(v.qemuInCgroup()).isTrue();
        // every QEMU thread is confined to the cpuset, and the vCPU thread is pinned to its core
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(qemuPid), "task"))) {
            for (Path t : tasks.toList()) {
                assertThat(status(qemuPid, Long.parseLong(t.getFileName().toString()), "Cpus_allowed_list"))
                        .as("thread " + t.getFileName()).isEqualTo(Integer.toString(CORE));
            }
        }
        assertThat(v.vcpus()).hasSize(1);
        VcpuThread cpu0 = v.vcpus().get(0);
        assertThat(cpu0.affinity()).containsExactly(CORE);
        assertThat(status(qemuPid, cpu0.threadId(), "Cpus_allowed_list")).isEqualTo(Integer.toString(CORE));
        // the strict level's choices are on QEMU's command line
        List<String> cmdline = List.of(Files.readString(Path.of("/proc", Long.toString(qemuPid), "cmdline")).split("\0"));
        assertThat(cmdline).contains("-sandbox", "-overcommit", "mem-lock=on", "memory-backend=enclave-ram",
                "memory-backend-ram,id=enclave-ram,size=134217728,prealloc=on");
        assertThat(v.choices()).anySatisfy(c -> assertThat(c).isEqualTo("shared memory with other enclaves: forbidden"));
        assertThat(status(qemuPid, qemuPid, "VmLck")).isNotEqualTo("0 kB");
    }

    @Test
    @Order(2)
    void theEnclaveIsAVmThatHeartbeatsAndCheckpoints() {
        long first = node.client().status(A).lastHeartbeatSeq();
        await().atMost(Duration.ofSeconds(30)).until(() -> node.client().status(A).lastHeartbeatSeq() >= first + 3);
        assertThat(node.client().list()).extracting(VmStatus::name).contains(A);
        CheckpointManifest m = node.client().checkpoint(A, false, "enclave");
        assertThat(m.vm()).isEqualTo(A);
        assertThat(node.client().status(A).state()).isEqualTo(VmState.RUNNING);
        long after = node.client().status(A).lastHeartbeatSeq();
        await().atMost(Duration.ofSeconds(30)).until(() -> node.client().status(A).lastHeartbeatSeq() > after);
        // stopped and restored from its checkpoint, the enclave's new QEMU is in the cgroup and pinned again
        node.client().stop(A, true, Duration.ofSeconds(30));
        assertThat(node.client().status(A).state()).isEqualTo(VmState.STOPPED);
        assertThat(node.client().restore(m.id(), A, true, Duration.ofSeconds(90)).state()).isEqualTo(VmState.RUNNING);
        EnclaveView v = node.client().execute(new Operation.ShowEnclave(A), EnclaveView.class);
        assertThat(v.qemuPid()).isNotEqualTo(qemuPid).isPositive();
        assertThat(v.qemuInCgroup()).isTrue();
        assertThat(v.vcpus()).singleElement().satisfies(t -> assertThat(t.affinity()).containsExactly(CORE));
        qemuPid = v.qemuPid();
    }

    @Test
    @Order(3)
    void anOrdinaryVmPinnedToTheEnclavesCoreIsRefusedAndTheEnclaveIsNotMigrated() {
        assertThatThrownBy(() -> node.define("encit-pinned", "pinning: [" + CORE + "]\n"))
                .isInstanceOf(HpcvirtException.class)
                .hasMessageContaining("VM 'encit-pinned': pinning: core " + CORE + " belongs to enclave '" + A + "' (cores " + CORE + ")")
                .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.REFUSED));
        assertThat(node.client().list()).extracting(VmStatus::name).doesNotContain("encit-pinned");
        // refused before any destination is asked: the destination would receive an ordinary VM
        assertThatThrownBy(() -> node.client().execute(new Operation.Migrate(A, "http://127.0.0.1:9", null, null, null, null), Object.class))
                .isInstanceOf(HpcvirtException.class)
                .hasMessageContaining("VM '" + A + "' is an enclave (cores " + CORE + "): migration would make it an ordinary VM")
                .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.REFUSED));
        assertThat(node.client().status(A).state()).isEqualTo(VmState.RUNNING);
    }

    @Test
    @Order(3)
    void aSecondEnclaveOnTheSameCoreIsRefusedNamingTheFirstAndLeavesNothing() {
        assertThatThrownBy(() -> create(file("encit-b", "[" + CORE + "]", "64M", "")))
                .isInstanceOf(HpcvirtException.class)
                .hasMessage("enclave 'encit-b': core " + CORE + " belongs to enclave '" + A + "' (cores " + CORE + ")")
                .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.REFUSED));
        assertThat(CPUSET.resolve("encit-b")).doesNotExist();
        assertThat(node.client().list()).extracting(VmStatus::name).doesNotContain("encit-b");
    }

    @Test
    @Order(4)
    void moreMemoryThanTheNodeLetsEnclavesHaveIsRefusedNamingTheHolder() {
        assertThatThrownBy(() -> create(file("encit-c", "1", "128M", "")))
                .isInstanceOf(HpcvirtException.class)
                .hasMessageStartingWith("enclave 'encit-c' needs 128M of memory; enclaves may take 200.")
                .hasMessageEndingWith("and enclave '" + A + "' holds 128M");
        assertThat(CPUSET.resolve("encit-c")).doesNotExist();
        assertThat(node.client().list()).extracting(VmStatus::name).doesNotContain("encit-c");
    }

    @Test
    @Order(5)
    void requiredHugePagesFromAShortPoolAreRefusedSayingHowToFillIt() throws IOException {
        long free = Long.parseLong(Files.readString(Path.of("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages")).strip());
        assertThat(free).as("free 2 MiB huge pages on this host").isLessThan(32);
        assertThatThrownBy(() -> create(file("encit-d", "1", "64M", "hugepages: required\n")))
                .isInstanceOf(HpcvirtException.class)
                .hasMessageContaining("enclave 'encit-d' requires huge pages")
                .hasMessageContaining("> /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages");
        assertThat(CPUSET.resolve("encit-d")).doesNotExist();
    }

    @Test
    @Order(6)
    void aCreationThatFailsAfterAdmissionLeavesNoVmCgroupOrSegment() {
        // admitted (core 0 is free), cgroup and link segment made, VM defined; the start fails: no such image
        Path segment = Path.of("/dev/shm/hpcvirt-link-encit-fail");
        assertThatThrownBy(() -> create(file("encit-e", "[0]", "64M",
                "isolation: performance\nimage: no-such-image\nlinks:\n  - name: encit-fail\n    peer: nobody\n    size: 64K\n")))
                .isInstanceOf(HpcvirtException.class)
                .hasMessageContaining("no-such-image")
                .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.NOT_FOUND));
        assertThat(CPUSET.resolve("encit-e")).doesNotExist();
        assertThat(segment).doesNotExist();
        assertThat(node.client().list()).extracting(VmStatus::name).doesNotContain("encit-e");
    }

    @Test
    @Order(7)
    void destroyRemovesTheCgroupAndTheProcess() {
        node.client().execute(new Operation.DestroyEnclave(A), Void.class);
        assertThat(CPUSET.resolve(A)).doesNotExist();
        await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(qemuPid).map(p -> !p.isAlive()).orElse(true));
        assertThat(node.client().list()).extracting(VmStatus::name).doesNotContain(A);
        assertThat(node.client().execute(new Operation.ListEnclaves(), EnclaveView[].class)).isEmpty();
    }

    @Test
    @Order(8)
    void requiredHugePagesFromAFilledPoolBackTheGuestAndGoBackWithIt() throws IOException {
        Path pool = Path.of("/sys/kernel/mm/hugepages/hugepages-2048kB");
        long before = Long.parseLong(Files.readString(pool.resolve("nr_hugepages")).strip());
        long freeBefore = Long.parseLong(Files.readString(pool.resolve("free_hugepages")).strip());
        Files.writeString(pool.resolve("nr_hugepages"), Long.toString(before + 64));
        try {
            assertThat(Long.parseLong(Files.readString(pool.resolve("free_hugepages")).strip())).isEqualTo(freeBefore + 64);
            EnclaveView v = create(file("encit-h", "[" + CORE + "]", "128M", "isolation: balanced\nhugepages: required\n"));
            assertThat(v.state()).isEqualTo(VmState.RUNNING);
            assertThat(v.hugePageBytes()).isEqualTo(2L << 20);
            List<String> cmdline = List.of(Files.readString(Path.of("/proc", Long.toString(v.qemuPid()), "cmdline")).split("\0"));
            assertThat(cmdline).contains("memory-backend-memfd,id=enclave-ram,size=134217728,hugetlb=on,hugetlbsize=2097152,prealloc=on");
            // preallocated: all 64 pages are taken at start
            assertThat(Long.parseLong(Files.readString(pool.resolve("free_hugepages")).strip())).isEqualTo(freeBefore);
            node.client().execute(new Operation.DestroyEnclave("encit-h"), Void.class);
            await().atMost(Duration.ofSeconds(10)).until(() -> Long.parseLong(Files.readString(pool.resolve("free_hugepages")).strip())
                    == freeBefore + 64);
            assertThat(CPUSET.resolve("encit-h")).doesNotExist();
        } finally {
            Files.writeString(pool.resolve("nr_hugepages"), Long.toString(before));
        }
    }
}
