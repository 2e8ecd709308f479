package org.hpcvirt.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.hpcvirt.api.Json;
import org.hpcvirt.api.VmState;
import org.hpcvirt.checkpoint.CheckpointManifest;
import org.hpcvirt.checkpoint.CheckpointStore;
import org.hpcvirt.daemon.DaemonClient;
import org.hpcvirt.guest.CounterReading;
import org.hpcvirt.slurm.CheckpointSet;
import org.hpcvirt.vm.VmStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A VSE job's resilience through Slurm on a real three-node test cluster ({@link SlurmCluster}):
 * under a partition rule {@code onTimeLimit: checkpoint-requeue} the daemon of the job's node takes
 * a checkpoint set shortly before the time limit and requeues the job, and the next run's Prolog
 * restores the guest instead of booting it (same boot id, heartbeat sequence and memory counter
 * further on, a file written to the data disk before the checkpoint still there); a job whose node
 * dies (its slurmd, hpcvirt daemon and QEMU killed) is set DOWN by the other nodes' node watch,
 * requeued by Slurm and comes back restored from its last checkpoint set on another node; a node
 * whose link is cut pauses its job VM before the job runs again elsewhere and destroys it when it is
 * back in touch.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class JobResilienceIT {
    private static final Duration JOB = Duration.ofSeconds(180);
    private static SlurmCluster cluster;
    private static String policy;

    @BeforeAll
    static void up() throws IOException {
        cluster = SlurmCluster.up(3);
        policy = Files.readString(policyFile());
    }

    @AfterAll
    static void down() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** {@code hpcvirt slurm check}, run with node {@code as}'s TLS material, finds no disagreement. */
    private static void assertSlurmAndHpcvirtAgree(int as) {
        NetnsNodes.Result check = cluster.slurm("hpcvirt", "slurm", "check", "--as", SlurmCluster.node(as));
        assertThat(check.exitCode()).as(check.output()).isZero();
        assertThat(check.output()).contains("clean: Slurm and hpcvirt agree on");
    }

    @Test
    @Order(1)
    void aJobNearItsTimeLimitIsCheckpointedRequeuedAndContinuesRestored() throws Exception {
        Files.writeString(policyFile(), policy.replace("    onViolation: clamp\n",
                "    onViolation: clamp\n    onTimeLimit: checkpoint-requeue\n    timeLimitMargin: 40s\n"));
        Path vse = Files.writeString(cluster.dir().resolve("tl.vse.yaml"), "image: default\nvm:\n  memory: 128M\n  disk: 64M\n");
        Path script = Files.writeString(cluster.dir().resolve("tl.sh"), "#!/bin/sh\nsleep 600\n");
        String id = cluster.sbatch("--vse=" + vse, "-N1", "-t", "1", "--requeue", "-o", "/dev/null", script.toString());
        int node = awaitRunningVm(id, -1);
        String vm = "j" + id + "-hvs-n" + node + "-0";
        try (DaemonClient c = cluster.client(node)) {
            assertThat(c.exec(vm, List.of("sh", "-c", "echo written-before-the-checkpoint > /data/mark && sync"), Duration.ofSeconds(30))
                    .exitCode()).isZero();
        }
        // the first node's daemon: a set 40 s before the 1-minute limit, then scontrol requeue
        Path set1 = cluster.store().resolve("jobs/" + id + "/set-1.json");
        await().atMost(JOB).pollInterval(Duration.ofMillis(500)).until(() -> Files.exists(set1));
        CheckpointSet set = Json.mapper().readValue(set1.toFile(), CheckpointSet.class);
        assertThat(set.reason()).isEqualTo("time-limit");
        assertThat(set.members()).extracting(CheckpointSet.Member::vm).containsExactly(vm);
        CheckpointManifest m = new CheckpointStore(cluster.store()).get(set.members().get(0).checkpoint());
        // the next run gets no time-limit rule: it stays until the test has looked
        Files.writeString(policyFile(), policy);

        await().atMost(JOB).pollInterval(Duration.ofMillis(500)).until(() -> restarts(id) >= 1);
        int again = awaitRunningVm(id, -1);
        String restored = "j" + id + "-hvs-n" + again + "-0";
        try (DaemonClient c = cluster.client(again)) {
            VmStatus s = c.status(restored);
            CounterReading counter = c.counter(restored);
            assertThat(s.lastHeartbeatSeq()).as("heartbeat sequence after the restore").isGreaterThan(m.heartbeatSeq());
            assertThat(counter.value()).as("memory counter after the restore").isGreaterThan(m.counter());
            assertThat(s.guestUptimeMs()).as("guest uptime after the restore").isGreaterThan(m.guestUptimeMs());
            assertThat(c.exec(restored, List.of("cat", "/data/mark"), Duration.ofSeconds(30)).output())
                    .isEqualTo("written-before-the-checkpoint\n");
        }
        awaitLog("log/prolog-hvs-n" + again + ".log",
                "hpcvirt prolog: job " + id + ": 1 VM(s) running on hvs-n" + again + " (restored from job " + id + " set 1 (time-limit");
        assertThat(Files.readString(cluster.dir().resolve("log/hpcvirtd-hvs-n" + node + ".log")))
                .contains("hpcvirt: job " + id + " near its time limit: job " + id + " set 1 taken, job requeued");
        assertSlurmAndHpcvirtAgree(again);
        cluster.slurm("scancel", id);
        assertThat(cluster.awaitEnd(id, JOB)).isEqualTo("CANCELLED");
    }

    @Test
    @Order(2)
    void aJobWhoseNodeDiesComesBackRestoredOnAnotherNode() throws Exception {
        String id = sleepingJob("nd");
        int node = awaitRunningVm(id, -1);
        int other = node == 1 ? 2 : 1;
        CheckpointSet set = firstSet(id, other);
        CheckpointManifest m = new CheckpointStore(cluster.store()).get(set.members().get(0).checkpoint());
        String bootId;
        try (DaemonClient c = cluster.client(node)) {
            bootId = c.counter("j" + id + "-hvs-n" + node + "-0").bootId();
        }

        long t0 = System.nanoTime();
        int killed = killNode(node);
        assertThat(killed).as("processes killed on hvs-n" + node).isGreaterThanOrEqualTo(3);
        await().atMost(JOB).pollInterval(Duration.ofMillis(200)).until(() -> restarts(id) >= 1);
        long requeued = System.nanoTime();
        int again = awaitRunningVm(id, node);
        long running = System.nanoTime();
        assertThat(again).isNotEqualTo(node);
        String restored = "j" + id + "-hvs-n" + again + "-0";
        try (DaemonClient c = cluster.client(again)) {
            assertThat(c.counter(restored).bootId()).as("boot id after the restore: the same guest, not a new boot").isEqualTo(bootId);
            assertThat(c.status(restored).lastHeartbeatSeq()).isGreaterThan(m.heartbeatSeq());
        }
        awaitLog("log/prolog-hvs-n" + again + ".log", "(restored from job " + id + " set 1 (request");
        // Slurm says DOWN once the job's completion on the dead node is given up (after the requeue)
        await().atMost(JOB).pollInterval(Duration.ofMillis(500))
                .until(() -> cluster.slurm("sinfo", "-h", "-n", SlurmCluster.node(node), "-o", "%T").output().strip().startsWith("down"));
        System.out.printf("node death -> requeue seen %.1f s, -> guest running on hvs-n%d %.1f s%n", (requeued - t0) / 1e9, again,
                (running - t0) / 1e9);
        // the other nodes' daemons noticed first: their node watch set it DOWN, before slurmctld's own ping would have
        String reason = cluster.slurm("sinfo", "-h", "-N", "-n", SlurmCluster.node(node), "-o", "%E").output().strip();
        assertThat(reason).matches("hpcvirt node watch: hpcvirt daemon and slurmd of hvs-n" + node + " silent for 5s \\(seen from hvs-n[1-3]\\)");
        String watcher = reason.substring(reason.length() - "hvs-nX)".length(), reason.length() - 1);
        assertThat(Files.readString(cluster.dir().resolve("log/hpcvirtd-" + watcher + ".log")))
                .contains("hpcvirt: node watch: hvs-n" + node + " set DOWN in Slurm: " + reason);
        // the dead node is down in Slurm, and no VM of the job is left anywhere but on its new node
        assertSlurmAndHpcvirtAgree(again);
        cluster.slurm("scancel", id);
        assertThat(cluster.awaitEnd(id, JOB)).isEqualTo("CANCELLED");
    }

    /** Waits until {@code file} of the cluster's directory has a line containing {@code text} (the Prolog logs once it is done). */
    private static void awaitLog(String file, String text) {
        Path f = cluster.dir().resolve(file);
        await().atMost(JOB).pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> assertThat(Files.exists(f) ? Files.readString(f) : "").as(file).contains(text));
    }

    private static Path policyFile() {
        return cluster.dir().resolve("etc/vse-policy.yaml");
    }

    @Test
    @Order(3)
    void aNodeCutOffPausesItsVmsBeforeTheJobRunsElsewhereAndDestroysThemWhenItComesBack() throws Exception {
        // one node is dead since the test before: the job runs on one of the other two and moves to the last
        String id = sleepingJob("cut");
        int node = awaitRunningVm(id, -1);
        String vm = "j" + id + "-hvs-n" + node + "-0";
        int other = java.util.stream.IntStream.rangeClosed(1, 3).filter(i -> i != node && daemonAnswers(i)).findFirst().orElseThrow();
        CheckpointSet set = firstSet(id, other);
        long seq = new CheckpointStore(cluster.store()).get(set.members().get(0).checkpoint()).heartbeatSeq();

        NetnsNodes.Result cut = cluster.onNode(node, "ip", "link", "set", "eth0", "down");
        assertThat(cut.exitCode()).as(cut.output()).isZero();
        try {
            // the node's own daemon (its Unix socket still answers) pauses the VM: it reaches neither its watchers nor the controller
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .until(() -> cluster.client(node).status(vm).state() == VmState.PAUSED);
            long fenced = System.nanoTime();
            int again = awaitRunningVm(id, node);
            assertThat(again).isEqualTo(other);
            assertThat(cluster.client(node).status(vm).state()).as("the cut-off copy while the job runs restored on hvs-n" + again)
                    .isEqualTo(VmState.PAUSED);
            try (DaemonClient c = cluster.client(again)) {
                assertThat(c.status("j" + id + "-hvs-n" + again + "-0").lastHeartbeatSeq()).isGreaterThan(seq);
            }
            System.out.printf("cut off: VM paused before the job ran again elsewhere (%.1f s before its restored copy answered)%n",
                    (System.nanoTime() - fenced) / 1e9);
            assertThat(Files.readString(cluster.dir().resolve("log/hpcvirtd-hvs-n" + node + ".log")))
                    .containsPattern("hpcvirt: node watch: fenced: hvs-n" + node + " reached neither hvs-n[1-3] nor hvs-n[1-3] nor the"
                            + " controller for 2.5s \\(they will set it DOWN and Slurm will run its jobs elsewhere\\); paused " + vm);
            String reason = cluster.slurm("sinfo", "-h", "-N", "-n", SlurmCluster.node(node), "-o", "%E").output().strip();
            assertThat(reason).startsWith("hpcvirt node watch: hpcvirt daemon and slurmd of hvs-n" + node + " silent for 5s");
        } finally {
            cluster.onNode(node, "ip", "link", "set", "eth0", "up");
        }
        // back in touch: the paused copy of a job that now runs elsewhere is destroyed, never resumed
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300))
                .until(() -> cluster.client(node).list().stream().noneMatch(v -> v.name().equals(vm)));
        awaitLog("log/hpcvirtd-hvs-n" + node + ".log", "hpcvirt: destroyed " + vm + ": Slurm no longer runs job " + id);
        awaitLog("log/hpcvirtd-hvs-n" + node + ".log", "hpcvirt: node watch: hvs-n" + node + " reaches the controller again: fence lifted");
        assertThat(Files.readString(cluster.dir().resolve("log/hpcvirtd-hvs-n" + node + ".log"))).doesNotContain("hpcvirt: resumed " + vm);
        assertSlurmAndHpcvirtAgree(other);
        cluster.slurm("scancel", id);
        assertThat(cluster.awaitEnd(id, JOB)).isEqualTo("CANCELLED");
    }

    /** A one-node job with a VSE and {@code --requeue} whose script sleeps; returns its id. */
    private static String sleepingJob(String name) throws IOException {
        Path vse = Files.writeString(cluster.dir().resolve(name + ".vse.yaml"), "image: default\nvm:\n  memory: 128M\n");
        Path script = Files.writeString(cluster.dir().resolve(name + ".sh"), "#!/bin/sh\nsleep 600\n");
        return cluster.sbatch("--vse=" + vse, "-N1", "--requeue", "-o", "/dev/null", script.toString());
    }

    /** Takes the job's first checkpoint set through {@code hpcvirt slurm checkpoint}, as node {@code as}; returns it. */
    private static CheckpointSet firstSet(String id, int as) throws IOException {
        NetnsNodes.Result ck = cluster.slurm("hpcvirt", "slurm", "checkpoint", id, "--as", SlurmCluster.node(as));
        assertThat(ck.exitCode()).as(ck.output()).isZero();
        assertThat(ck.output()).contains("job " + id + " set 1 (request");
        return Json.mapper().readValue(cluster.store().resolve("jobs/" + id + "/set-1.json").toFile(), CheckpointSet.class);
    }

    private static boolean daemonAnswers(int i) {
        try (DaemonClient c = cluster.client(i)) {
            c.node();
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Slurm's restart count of the job ({@code Restarts=} of scontrol show job). */
    private static int restarts(String id) {
        String out = cluster.slurm("scontrol", "show", "job", id).output();
        java.util.regex.Matcher mt = java.util.regex.Pattern.compile("Restarts=([0-9]+)").matcher(out);
        return mt.find() ? Integer.parseInt(mt.group(1)) : -1;
    }

    /** Waits until the job runs and its VM on its node runs with a heartbeat; returns the node's number (never {@code not}). */
    private static int awaitRunningVm(String id, int not) {
        int[] at = {-1};
        await().atMost(JOB).pollInterval(Duration.ofMillis(300)).ignoreExceptions().until(() -> {
            String st = cluster.slurm("squeue", "-h", "-j", id, "-o", "%T %N").output().strip();
            if (!st.startsWith("RUNNING hvs-n")) {
                return false;
            }
            int n = Integer.parseInt(st.substring("RUNNING hvs-n".length()).strip());
            if (n == not) {
                return false;
            }
            try (DaemonClient c = cluster.client(n)) {
                VmStatus s = c.status("j" + id + "-hvs-n" + n + "-0");
                at[0] = n;
                return s.state() == VmState.RUNNING && s.lastHeartbeatAgeMs() >= 0;
            }
        });
        return at[0];
    }

    /** Kills every process in node {@code i}'s network namespace (slurmd, the hpcvirt daemon, QEMU) with SIGKILL; returns how many. */
    private static int killNode(int i) throws IOException {
        long ns = (Long) Files.getAttribute(Path.of("/run/netns/" + SlurmCluster.namespace(i)), "unix:ino");
        List<ProcessHandle> victims = new ArrayList<>();
        try (var s = Files.list(Path.of("/proc"))) {
            for (Path p : s.filter(p -> p.getFileName().toString().matches("[0-9]+")).toList()) {
                try {
                    String link = Files.readSymbolicLink(p.resolve("ns/net")).toString();
                    if (link.equals("net:[" + ns + "]")) {
                        Optional<ProcessHandle> h = ProcessHandle.of(Long.parseLong(p.getFileName().toString()));
                        h.ifPresent(victims::add);
                    }
                } catch (IOException | UnsupportedOperationException e) {
                    // a process that ended meanwhile
                }
            }
        }
        victims.forEach(ProcessHandle::destroyForcibly);
        return victims.size();
    }
}
