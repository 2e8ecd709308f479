package org.hpcvirt.slurm;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class NodeWatchTest {
    private final AtomicLong now = new AtomicLong();
    private final Set<String> daemonsUp = new HashSet<>(Set.of("n1", "n2", "n3"));
    private final Set<String> slurmdsUp = new HashSet<>(Set.of("n1", "n2", "n3"));
    private final List<List<String>> commands = new ArrayList<>();
    private final List<String> log = new ArrayList<>();
    private String slurmState = "ALLOCATED";
    private SlurmCommands.Result update = new SlurmCommands.Result(0, "");

    private final NodeWatch.Probe probe = new NodeWatch.Probe() {
        @Override
        public boolean daemonAnswers(String node) {
            return daemonsUp.contains(node);
        }

        @Override
        public boolean slurmdAnswers(String node) {
            return slurmdsUp.contains(node);
        }

        @Override
        public boolean controllerAnswers() {
            return controllerUp;
        }
    };
    private boolean controllerUp = true;
    private final List<String> fenceCalls = new ArrayList<>();
    private boolean canUnfence = true;
    private final NodeWatch.Fence fence = new NodeWatch.Fence() {
        @Override
        public List<String> fence(String why) {
            fenceCalls.add("fence: " + why);
            return List.of("j7-n1-0");
        }

        @Override
        public boolean unfence() {
            fenceCalls.add("unfence");
            return canUnfence;
        }
    };

    private final SlurmCommands slurm = argv -> {
        commands.add(argv);
        return argv.get(1).equals("-o") ? new SlurmCommands.Result(0, "NodeName=" + argv.get(4) + " Arch=x86_64 CoresPerSocket=1 CPUAlloc=1"
                + " State=" + slurmState + " ThreadsPerCore=1\n") : update;
    };

    private NodeWatch watch() {
        return new NodeWatch("n1", List.of("n3", "n1", "n2"), Duration.ofSeconds(5), probe, slurm, log::add, now::get, fence);
    }

    private void after(long seconds) {
        now.addAndGet(Duration.ofSeconds(seconds).toNanos());
    }

    private List<List<String>> updates() {
        return commands.stream().filter(c -> c.get(1).equals("update")).toList();
    }

    @Test
    void eachNodeWatchesTheNextOnesRoundTheRingNeverItself() {
        List<String> nodes = List.of("c", "a", "d", "b");
        assertThat(NodeWatch.watched("a", nodes, 2)).containsExactly("b", "c");
        assertThat(NodeWatch.watched("d", nodes, 2)).containsExactly("a", "b");
        assertThat(NodeWatch.watched("a", List.of("a", "b"), 2)).containsExactly("b");
        assertThat(NodeWatch.watched("a", List.of("a"), 2)).isEmpty();
        assertThat(NodeWatch.watched("x", nodes, 2)).as("a node outside the configuration watches none").isEmpty();
        // every node is watched by two others
        for (String n : nodes) {
            assertThat(nodes.stream().filter(w -> NodeWatch.watched(w, nodes, 2).contains(n))).hasSize(2);
        }
    }

    @Test
    void aNodeWithBothServicesSilentForTheTimeoutIsSetDownOnceWithAReasonNamingHpcvirt() {
        NodeWatch w = watch();
        assertThat(w.watched()).containsExactly("n2", "n3");
        daemonsUp.remove("n2");
        slurmdsUp.remove("n2");
        assertThat(w.check("n2")).isFalse();
        after(4);
        assertThat(w.check("n2")).as("4 s of silence").isFalse();
        assertThat(updates()).isEmpty();
        after(1);
        assertThat(w.check("n2")).as("5 s of silence").isTrue();
        assertThat(updates()).containsExactly(List.of("scontrol", "update", "NodeName=n2", "State=DOWN",
                "Reason=hpcvirt node watch: hpcvirt daemon and slurmd of n2 silent for 5s (seen from n1)"));
        assertThat(log).contains("hpcvirt: node watch: n2 set DOWN in Slurm: hpcvirt node watch: hpcvirt daemon and slurmd of n2"
                + " silent for 5s (seen from n1)");
        slurmState = "DOWN+COMPLETING";
        after(10);
        assertThat(w.check("n2")).as("reported once while Slurm has it down").isFalse();
        assertThat(updates()).hasSize(1);
        // Slurm returned it to service while it is still silent: set DOWN again
        slurmState = "IDLE+NOT_RESPONDING";
        after(5);
        assertThat(w.check("n2")).isTrue();
        assertThat(log).contains("hpcvirt: node watch: Slurm has n2 IDLE+NOT_RESPONDING again, but it is still silent");
        assertThat(updates()).hasSize(2);
        slurmState = "ALLOCATED";

        // it comes back, then falls silent again: a new silence, a new report
        daemonsUp.add("n2");
        assertThat(w.check("n2")).isFalse();
        assertThat(log).contains("hpcvirt: node watch: n2 answers again");
        daemonsUp.remove("n2");
        assertThat(w.check("n2")).isFalse();
        after(5);
        assertThat(w.check("n2")).isTrue();
        assertThat(updates()).hasSize(3);
    }

    @Test
    void theSecondWatcherReportsLaterOnlyIfTheFirstHasNot() {
        NodeWatch w = watch(); // n1 watches n2 first and n3 second (n3's first watcher is n2)
        daemonsUp.remove("n3");
        slurmdsUp.remove("n3");
        w.check("n3");
        after(5);
        assertThat(w.check("n3")).as("5 s: n2's turn").isFalse();
        assertThat(commands).isEmpty();
        after(2);
        assertThat(w.check("n3")).as("7 s: n2 did not report it").isTrue();

        NodeWatch again = watch();
        daemonsUp.remove("n2");
        slurmdsUp.remove("n2");
        again.check("n3");
        again.check("n2");
        after(5);
        assertThat(again.check("n2")).as("its first watcher reports at 5 s").isTrue();
    }

    @Test
    void oneServiceAnsweringIsEnoughAndABreakInTheSilenceStartsItAgain() {
        NodeWatch w = watch();
        daemonsUp.remove("n3"); // a daemon restarting: slurmd still answers
        for (int i = 0; i < 10; i++) {
            assertThat(w.check("n3")).isFalse();
            after(1);
        }
        daemonsUp.add("n3");
        slurmdsUp.remove("n3"); // slurmd restarting: the daemon answers
        for (int i = 0; i < 10; i++) {
            assertThat(w.check("n3")).isFalse();
            after(1);
        }
        assertThat(commands).as("neither alone takes a node down").isEmpty();

        daemonsUp.remove("n3");
        w.check("n3");
        after(3);
        w.check("n3");
        daemonsUp.add("n3");
        w.check("n3"); // a break
        daemonsUp.remove("n3");
        after(3);
        assertThat(w.check("n3")).as("3 s after the break, not 6 s of silence").isFalse();
        assertThat(commands).isEmpty();
    }

    @Test
    void aNodeSlurmHasDownAlreadyIsLeftAloneAndAFailedReportIsRetried() {
        NodeWatch w = watch();
        daemonsUp.remove("n2");
        slurmdsUp.remove("n2");
        w.check("n2");
        after(6);
        slurmState = "DOWN+COMPLETING";
        assertThat(w.check("n2")).isFalse();
        after(1);
        assertThat(w.check("n2")).isFalse();
        assertThat(updates()).as("Slurm found it first").isEmpty();
        assertThat(commands).as("and is asked once").hasSize(1);

        NodeWatch other = watch();
        daemonsUp.remove("n3");
        slurmdsUp.remove("n3");
        slurmState = "MIXED";
        update = new SlurmCommands.Result(1, "slurm_update error: Unable to contact slurm controller (connect failure)");
        other.check("n3");
        after(7);
        assertThat(other.check("n3")).isFalse();
        assertThat(log).contains("hpcvirt: node watch: cannot set n3 DOWN in Slurm: slurm_update error: Unable to contact slurm"
                + " controller (connect failure)");
        after(1);
        assertThat(other.check("n3")).isFalse();
        assertThat(log.stream().filter(l -> l.startsWith("hpcvirt: node watch: cannot set n3 DOWN"))).as("logged once, not every round")
                .hasSize(1);
        update = new SlurmCommands.Result(0, "");
        after(1);
        assertThat(other.check("n3")).as("retried in the next round").isTrue();
    }

    @Test
    void aNodeCutOffFromItsWatchersAndTheControllerFencesItsVmsUntilSlurmCanBeAskedAgain() {
        NodeWatch w = watch();
        assertThat(w.watchers()).as("n1 is watched by the two before it, round the ring").containsExactly("n2", "n3");
        assertThat(w.fenceAfter()).isEqualTo(Duration.ofMillis(2500));
        daemonsUp.clear();
        controllerUp = false;
        assertThat(w.checkSelf()).isFalse();
        after(2);
        assertThat(w.checkSelf()).as("2 s cut off").isFalse();
        assertThat(fenceCalls).isEmpty();
        after(1);
        assertThat(w.checkSelf()).as("3 s cut off").isTrue();
        assertThat(fenceCalls).containsExactly("fence: n1 reached neither n2 nor n3 nor the controller for 2.5s (they will set it"
                + " DOWN and Slurm will run its jobs elsewhere)");
        assertThat(log).anyMatch(l -> l.startsWith("hpcvirt: node watch: fenced: n1 reached neither") && l.endsWith("; paused j7-n1-0"));
        after(10);
        assertThat(w.checkSelf()).as("fenced once").isTrue();
        assertThat(fenceCalls).hasSize(1);

        // a watcher answers again, but Slurm cannot be asked yet: still fenced, asked again next round
        daemonsUp.add("n3");
        canUnfence = false;
        assertThat(w.checkSelf()).isTrue();
        canUnfence = true;
        assertThat(w.checkSelf()).isFalse();
        assertThat(fenceCalls).containsExactly(fenceCalls.get(0), "unfence", "unfence");
        assertThat(log).contains("hpcvirt: node watch: n1 reaches the controller again: fence lifted");
    }

    @Test
    void theControllerOrOneWatcherIsContactEnoughAndANodeNobodyWatchesNeverFences() {
        NodeWatch w = watch();
        daemonsUp.clear(); // both watchers gone, the controller there
        for (int i = 0; i < 10; i++) {
            assertThat(w.checkSelf()).isFalse();
            after(1);
        }
        controllerUp = false;
        daemonsUp.add("n2"); // the controller gone, one watcher there
        for (int i = 0; i < 10; i++) {
            assertThat(w.checkSelf()).isFalse();
            after(1);
        }
        daemonsUp.clear();
        NodeWatch alone = new NodeWatch("n1", List.of("n1"), Duration.ofSeconds(5), probe, slurm, log::add, now::get, fence);
        for (int i = 0; i < 10; i++) {
            assertThat(alone.checkSelf()).isFalse();
            after(1);
        }
        assertThat(fenceCalls).isEmpty();
    }

    @Test
    void aNodeThatIsItselfCutOffReportsNobodyUntilItHasSeenThemSilentForTheTimeoutWithContactOfItsOwn() {
        NodeWatch w = watch();
        daemonsUp.clear();
        slurmdsUp.clear();
        controllerUp = false;
        for (int i = 0; i < 20; i++) {
            w.checkSelf();
            w.check("n2");
            after(1);
        }
        controllerUp = true; // the link is back; n2 still looks silent for a moment (ARP, a slow answer)
        w.checkSelf();
        after(1);
        assertThat(w.check("n2")).as("20 s of silence seen while cut off count for nothing").isFalse();
        after(2);
        assertThat(w.check("n2")).isFalse();
        assertThat(updates()).isEmpty();
        after(1);
        assertThat(w.check("n2")).as("5 s of silence since its last look at itself without contact").isTrue();
    }
}
