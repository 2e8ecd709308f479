package org.hpcvirt.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.hpcvirt.api.VmState;
import org.hpcvirt.guest.ExecResult;
import org.hpcvirt.vm.VmStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A hostile guest: a process inside the VM kills the agent, takes over the agent's port and writes
 * 30 MB of random bytes and then 10^6 forged heartbeat lines into it. The daemon keeps answering
 * throughout, counts what it drops as garbage, and talks to the real agent again once the port is
 * free (the guest's init restarts the agent).
 */
class GuestFloodIT {
    private static final Duration T = Duration.ofSeconds(90);
    /** The guest's side of the flood; the init restarts the agent once it can open the port again. */
    private static final String FLOOD = "p=; for d in /sys/class/virtio-ports/*; do [ \"$(cat $d/name)\" = org.hpcvirt.agent ]"
            + " && p=/dev/$(basename $d); done; "
            + "kill $(pidof hpcvirt-agent); exec 3>$p; "
            + "head -c 30000000 /dev/urandom >&3; "
            + "awk 'BEGIN { for (i = 1; i <= 300000; i++) print \"HB seq=\" i \" up=1 load=0.00 counter=1 mem=ok\" }' >&3; "
            + "echo done > /tmp/flood-done";
    private static TestNode node;

    @BeforeAll
    static void boot() {
        node = TestNode.start();
        node.define("hostile", "");
        assertThat(node.client().start("hostile", true, T).state()).isEqualTo(VmState.RUNNING);
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void theDaemonSurvivesAFloodFromInsideTheGuestAndCountsIt() {
        long t0 = System.nanoTime();
        ExecResult started = node.client().exec("hostile", "setsid sh -c '" + FLOOD.replace("'", "'\\''")
                + "' </dev/null >/dev/null 2>&1 &", Duration.ofSeconds(20));
        assertThat(started.exitCode()).as(started.output()).isZero();
        // while the guest floods, the daemon answers every request (a liveness deadline, not a speed goal)
        List<Long> garbage = new ArrayList<>();
        await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(500)).until(() -> {
            VmStatus s = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> node.client().status("hostile"));
            garbage.add(s.garbageLines());
            assertTimeoutPreemptively(Duration.ofSeconds(20), () -> node.client().list());
            return s.garbageLines() > 100_000 && reachable();
        });
        // the real agent is back: commands run again, and the flood ran to its end
        await().atMost(T).until(GuestFloodIT::reachable);
        assertThat(node.client().exec("hostile", "cat /tmp/flood-done", Duration.ofSeconds(20)).output()).contains("done");
        assertThat(garbage).as("garbage is counted as it arrives").isSorted();
        VmStatus after = node.client().status("hostile");
        assertThat(after.garbageLines()).isGreaterThan(100_000);
        System.out.printf("GuestFloodIT: %d status calls answered during the flood, %d lines dropped as garbage%n", garbage.size(),
                after.garbageLines());
        long seq = after.lastHeartbeatSeq();
        await().atMost(T).until(() -> node.client().status("hostile").state() == VmState.RUNNING
                && node.client().status("hostile").lastHeartbeatSeq() != seq);
        assertThat(node.processesOfThisNode()).as("the daemon survives").contains(node.daemonPid());
        System.out.printf("GuestFloodIT: flood and recovery took %d s%n", (System.nanoTime() - t0) / 1_000_000_000L);
    }

    /** True if the guest's (real) agent runs commands. */
    private static boolean reachable() {
        try {
            return node.client().exec("hostile", "echo ok", Duration.ofSeconds(5)).output().contains("ok");
        } catch (RuntimeException e) {
            return false;
        }
    }
}
