package org.hpcvirt.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.hpcvirt.api.DirectoryTree;
import org.hpcvirt.api.VmState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Many users on one node, for real: three Unix users created for the test (two ordinary ones and
 * one in the admin group) run the real CLI as themselves against one root daemon, which tells them
 * apart by the kernel's peer credentials. A user cannot see or touch another user's VM or
 * checkpoint (403, exit code 12, the VM unchanged), the admin can, root can define a VM for a job's
 * user, and the audit log names each caller's uid.
 */
class MultiUserIT {
    private static final String ALICE = "hvit-alice";
    private static final String BOB = "hvit-bob";
    private static final String CAROL = "hvit-carol";
    private static final String ADMINS = "hvit-admins";
    private static TestNode node;
    private static Path shared;

    private record Run(int exit, String out, String err) {
    }

    @BeforeAll
    static void usersAndDaemon() throws Exception {
        removeUsers();
        sh("groupadd", ADMINS);
        for (String u : List.of(ALICE, BOB, CAROL)) {
            sh("useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", "--user-group", u);
        }
        sh("usermod", "-a", "-G", ADMINS, CAROL);
        // what the users run must be readable by them: the product jar and their profiles, outside the build tree
        shared = Files.createTempDirectory(Path.of("/tmp"), "hvusers");
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path jar = Path.of(System.getProperty("hpcvirt.repo", ".")).resolve("target/hpcvirt.jar");
        Files.copy(jar, shared.resolve("hpcvirt.jar"), StandardCopyOption.REPLACE_EXISTING);
        for (String vm : List.of("b1", "a1", "x1")) {
            Path p = shared.resolve(vm + ".yaml");
            Files.writeString(p, "name: " + vm + "\nbackend: qemu\ncpus: 1\nmemory: 128M\nimage: " + TestNode.IMAGE + "\n"
                    + "heartbeat:\n  interval: 200ms\n  timeout: 5s\n");
        }
        for (Path f : List.of(shared.resolve("hpcvirt.jar"), shared.resolve("b1.yaml"), shared.resolve("a1.yaml"), shared.resolve("x1.yaml"))) {
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        }
        node = TestNode.create().withDaemonEnv(Map.of("HPCVIRT_ADMIN_GROUP", ADMINS));
        node.startDaemon();
    }

    @AfterAll
    static void cleanUp() throws Exception {
        try {
            if (node != null) {
                node.close();
            }
        } finally {
            removeUsers();
            if (shared != null) {
                DirectoryTree.delete(shared);
            }
        }
    }

    @Test
    void eachUserSeesAndTouchesOnlyTheirOwnAndTheAdminGroupEverything() throws Exception {
        // bob's VM, defined and booted by bob himself through the node socket
        Run define = as(BOB, "vm", "define", shared.resolve("b1.yaml").toString());
        assertThat(define.exit()).as(define.err()).isZero();
        assertThat(define.out()).contains("defined b1 for " + BOB);
        Run start = as(BOB, "vm", "start", "b1", "--wait", "--timeout", "120");
        assertThat(start.exit()).as(start.err() + node.console("b1")).isZero();
        assertThat(as(BOB, "vm", "list").out()).contains("b1").contains(BOB);

        // alice does not see it ...
        Run list = as(ALICE, "vm", "list");
        assertThat(list.exit()).isZero();
        assertThat(list.out()).doesNotContain("b1");
        Run status = as(ALICE, "vm", "status", "b1");
        assertThat(status.exit()).isEqualTo(12);
        assertThat(status.err()).contains("VM 'b1' is not " + ALICE + "'s").doesNotContain("Exception");
        // ... and cannot touch it
        for (List<String> cmd : List.of(List.of("vm", "pause", "b1"), List.of("vm", "stop", "b1"), List.of("vm", "destroy", "b1"),
                List.of("vm", "console", "b1"), List.of("vm", "exec", "b1", "--", "true"), List.of("vm", "checkpoint", "b1"))) {
            Run r = as(ALICE, cmd.toArray(String[]::new));
            assertThat(r.exit()).as("alice: %s → %s", cmd, r.err()).isEqualTo(12);
            assertThat(r.err()).contains("not " + ALICE + "'s");
        }
        assertThat(node.client().status("b1").state()).isEqualTo(VmState.RUNNING);
        // node-level operations are for administrators
        Run stopDaemon = as(ALICE, "daemon", "stop");
        assertThat(stopDaemon.exit()).isEqualTo(12);
        assertThat(stopDaemon.err()).contains("administrators").contains(ADMINS);
        assertThat(ProcessHandle.of(node.daemonPid()).map(ProcessHandle::isAlive)).contains(true);
        // the metrics name every user's VMs
        Run metrics = run(List.of("runuser", "-u", ALICE, "--", "curl", "-s", "--unix-socket", node.layout().daemonSocket().toString(),
                "http://node/metrics"));
        assertThat(metrics.out()).contains("FORBIDDEN").doesNotContain("b1");
        Run adminMetrics = run(List.of("runuser", "-u", CAROL, "--", "curl", "-s", "--unix-socket", node.layout().daemonSocket().toString(),
                "http://node/metrics"));
        assertThat(adminMetrics.out()).contains("vm=\"b1\"");

        // bob's checkpoint is bob's too
        Run ck = as(BOB, "vm", "checkpoint", "b1");
        assertThat(ck.exit()).as(ck.err()).isZero();
        String id = ck.out().lines().findFirst().orElseThrow().trim();
        assertThat(node.client().checkpoints(null)).anySatisfy(m -> assertThat(m.id()).isEqualTo(id));
        assertThat(as(ALICE, "checkpoint", "list").out()).doesNotContain(id);
        Run show = as(ALICE, "checkpoint", "show", id);
        assertThat(show.exit()).isEqualTo(12);
        assertThat(show.err()).contains("checkpoint " + id + " is not " + ALICE + "'s");
        Run restore = as(ALICE, "vm", "restore", id, "--name", "stolen");
        assertThat(restore.exit()).isEqualTo(12);
        assertThat(node.client().list()).noneSatisfy(s -> assertThat(s.name()).isEqualTo("stolen"));

        // the admin group sees and operates on everything
        assertThat(as(CAROL, "vm", "list").out()).contains("b1");
        assertThat(as(CAROL, "checkpoint", "list").out()).contains(id);
        Run pause = as(CAROL, "vm", "pause", "b1");
        assertThat(pause.exit()).as(pause.err()).isZero();
        assertThat(node.client().status("b1").state()).isEqualTo(VmState.PAUSED);
        assertThat(as(CAROL, "vm", "resume", "b1").exit()).isZero();

        // a job's VMs belong to the job's user: root (the Slurm prolog) defines them for her
        Run forAlice = asRoot("vm", "define", "--owner", ALICE, shared.resolve("a1.yaml").toString());
        assertThat(forAlice.exit()).as(forAlice.err()).isZero();
        assertThat(forAlice.out()).contains("defined a1 for " + ALICE);
        assertThat(as(ALICE, "vm", "list").out()).contains("a1").doesNotContain("b1");
        assertThat(as(BOB, "vm", "destroy", "a1").exit()).isEqualTo(12);
        // a typo in the job's user is an error, not a VM nobody can reach
        Run typo = asRoot("vm", "define", "--owner", "hvit-alicee", shared.resolve("x1.yaml").toString());
        assertThat(typo.exit()).isEqualTo(2);
        assertThat(typo.err()).contains("this node has no user 'hvit-alicee'");
        // an ordinary user cannot hand a VM to someone else
        Run handOver = as(BOB, "vm", "define", "--owner", ALICE, shared.resolve("x1.yaml").toString());
        assertThat(handOver.exit()).isEqualTo(12);
        assertThat(handOver.err()).contains("only administrators may define a VM for another user");
        assertThat(node.client().list()).noneSatisfy(s -> assertThat(s.name()).isEqualTo("x1"));
        Run destroy = as(ALICE, "vm", "destroy", "a1");
        assertThat(destroy.exit()).as(destroy.err()).isZero();

        // every operation is recorded with the caller's uid, the refused ones too
        long aliceUid = uid(ALICE);
        String audit = Files.readString(node.layout().auditLog(), StandardCharsets.UTF_8);
        assertThat(audit.lines().filter(l -> l.contains("\"uid\":" + aliceUid + ",") && l.contains("\"operation\":\"Pause\"")
                && l.contains("\"target\":\"b1\"") && l.contains("\"outcome\":\"FORBIDDEN\""))).hasSize(1);
        assertThat(audit.lines().filter(l -> l.contains("\"uid\":" + aliceUid + ",") && l.contains("\"operation\":\"Destroy\"")
                && l.contains("\"target\":\"a1\"") && l.contains("\"outcome\":\"ok\""))).hasSize(1);
        assertThat(Files.getPosixFilePermissions(node.layout().auditLog())).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    }

    @Test
    void otherUsersEventsAreLeftOutOfTheHistory() throws Exception {
        Run bobs = as(BOB, "vm", "define", shared.resolve("x1.yaml").toString());
        assertThat(bobs.exit()).as(bobs.err()).isZero();
        try {
            assertThat(as(BOB, "vm", "events").out()).contains("x1");
            Run alice = as(ALICE, "vm", "events");
            assertThat(alice.exit()).isZero();
            assertThat(alice.out()).doesNotContain("x1");
            Run one = as(ALICE, "vm", "events", "--vm", "x1");
            assertThat(one.exit()).as(one.err()).isEqualTo(12);
            assertThat(one.err()).contains("VM 'x1' is not " + ALICE + "'s");
            // the live stream is admitted by the same rule before it opens
            Run follow = as(ALICE, "vm", "events", "--follow", "--vm", "x1");
            assertThat(follow.exit()).as(follow.err()).isEqualTo(12);
            assertThat(follow.err()).contains("VM 'x1' is not " + ALICE + "'s");
        } finally {
            node.client().destroy("x1");
        }
    }

    private static Run as(String user, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("runuser", "-u", user, "--"));
        cmd.addAll(cli(args));
        return run(cmd);
    }

    private static Run asRoot(String... args) throws Exception {
        return run(cli(args));
    }

    private static List<String> cli(String... args) {
        List<String> cmd = new ArrayList<>(List.of("env", "HPCVIRT_HOME=" + node.layout().home(),
                ProcessHandle.current().info().command().orElse("java"), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-cp", shared.resolve("hpcvirt.jar").toString(), "org.hpcvirt.cli.Main"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static Run run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(shared == null ? null : shared.toFile()).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertThat(p.waitFor(180, TimeUnit.SECONDS)).as("%s finished", cmd).isTrue();
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    private static long uid(String user) throws Exception {
        Run r = run(List.of("id", "-u", user));
        return Long.parseLong(r.out().trim());
    }

    private static void sh(String... cmd) throws Exception {
        Run r = run(List.of(cmd));
        if (r.exit() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed: " + r.err());
        }
    }

    /** Removes the test's users and group if they exist (left over from an interrupted run, or this one's). */
    private static void removeUsers() throws Exception {
        for (String u : List.of(ALICE, BOB, CAROL)) {
            if (run(List.of("id", "-u", u)).exit() == 0) {
                sh("userdel", u);
            }
        }
        if (run(List.of("getent", "group", ADMINS)).exit() == 0) {
            sh("groupdel", ADMINS);
        }
    }
}
