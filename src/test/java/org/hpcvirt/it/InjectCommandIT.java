package org.hpcvirt.it;

import static org.hpcvirt.it.InProcessCli.hpcvirt;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.VmState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * {@code hpcvirt inject} against a VM of a real daemon: a refused E-Zone 1 fault, a guest-user fault, a
 * soft error through the VM's gdbstub, and a VMM signal that the daemon detects. The steps share one guest.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class InjectCommandIT {
    private static TestNode node;

    @BeforeAll
    static void start() {
        node = TestNode.start();
        System.setProperty("hpcvirt.home", node.layout().home().toString());
        node.define("victim", "");
        assertThat(node.client().start("victim", true, Duration.ofSeconds(90)).state()).isEqualTo(VmState.RUNNING);
    }

    @AfterAll
    static void stop() {
        System.clearProperty("hpcvirt.home");
        if (node != null) {
            node.close();
        }
    }


    @Test
    @Order(1)
    void hostKernelFaultIsRefused() {
        InProcessCli.Run r = hpcvirt("inject", "host-kernel-panic", "victim");
        assertThat(r.code()).as(r.toString()).isEqualTo(ErrorCode.REFUSED.exitCode());
        assertThat(r.err()).contains("refusing to inject host-kernel-panic").doesNotContain("Exception");
        assertThat(node.client().status("victim").state()).isEqualTo(VmState.RUNNING);
    }

    @Test
    @Order(2)
    void guestSegfaultKillsOnlyTheProcess() {
        InProcessCli.Run r = hpcvirt("inject", "segfault", "victim");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("faulting process exit status: 139");
        assertThat(node.client().status("victim").state()).isEqualTo(VmState.RUNNING);
        // the daemon ran the injection and recorded it
        assertThat(node.client().events("victim", 0, 10_000)).filteredOn(e -> e.type() == org.hpcvirt.api.VmEvent.Type.INJECTION)
                .singleElement().satisfies(e -> assertThat(e.data()).containsEntry("fault", "segfault").containsEntry("processExit", 139));
    }

    @Test
    @Order(3)
    void bitFlipThroughTheGdbstubCorruptsTheWorkloadResult() {
        InProcessCli.Run r = hpcvirt("inject", "bitflip-workload", "victim", "-o", "bits=1", "-o", "offset=0", "--seed", "1");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("golden checksum: ").contains("(≠ golden: SDC)");
        assertThat(node.client().status("victim").state()).isEqualTo(VmState.RUNNING);
    }

    @Test
    @Order(4)
    void vmmSignalIsDetectedByTheDaemon() {
        InProcessCli.Run r = hpcvirt("inject", "vmm-sigsegv", "victim", "--watch", "20s");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("SIGSEGV to QEMU pid").contains("detected: QEMU_EXITED");
        assertThat(node.processesOfThisNode()).as("the daemon survives").contains(node.daemonPid());
    }
}
