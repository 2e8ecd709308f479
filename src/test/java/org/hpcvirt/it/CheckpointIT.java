package org.hpcvirt.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.VmEvent;
import org.hpcvirt.api.VmState;
import org.hpcvirt.backend.ProcessInfo;
import org.hpcvirt.checkpoint.CheckpointManifest;
import org.hpcvirt.checkpoint.CheckpointStore;
import org.hpcvirt.guest.ExecResult;
import org.hpcvirt.vm.VmStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Checkpoint/restart with the file system on real TCG guests through a real daemon: one guest is
 * booted; every other guest is restored from its checkpoints. Steps run in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CheckpointIT {
    private static final Duration BOOT = Duration.ofSeconds(90);
    private static final Duration T = Duration.ofSeconds(30);
    private static TestNode node;
    private static CheckpointManifest first;

    @BeforeAll
    static void boot() {
        // a short chain bound, so that the flattening happens within this test's few checkpoints
        node = TestNode.create().withDaemonEnv(java.util.Map.of("HPCVIRT_MAX_DISK_LAYERS", "3"));
        node.startDaemon();
        node.define("ck", "disk:\n  size: 64M\n");
        assertThat(node.client().start("ck", true, BOOT).state()).isEqualTo(VmState.RUNNING);
    }

    @AfterAll
    static void stopNode() {
        if (node != null) {
            node.close();
        }
    }

    private static VmStatus status(String vm) {
        return node.client().status(vm);
    }

    private static ExecResult exec(String vm, String cmd) {
        ExecResult r = node.client().exec(vm, cmd, T);
        assertThat(r.exitCode()).as(cmd + ": " + r.output()).isZero();
        return r;
    }

    private static CheckpointStore store() {
        return new CheckpointStore(node.layout().checkpointStore());
    }

    @Test
    @Order(1)
    void restoredGuestContinuesFromTheCheckpointWithItsFiles() {
        exec("ck", "echo before > /data/before && sync");
        first = node.client().checkpoint("ck", false, "first");
        assertThat(status("ck").state()).isEqualTo(VmState.RUNNING);
        assertThat(first.layers()).hasSize(1);
        assertThat(first.files()).hasSize(2).allSatisfy(f -> assertThat(f.sha256()).hasSize(64));
        assertThat(first.heartbeatSeq()).isPositive();
        assertThat(node.client().checkpoints("ck")).extracting(CheckpointManifest::id).containsExactly(first.id());
        exec("ck", "echo after > /data/after && sync");
        // let the original run on so that a reset or a copy of its present state would show
        long originalCounter = node.client().counter("ck").value();

        VmStatus r = node.client().restore(first.id(), "ck2", true, T);
        assertThat(r.state()).isEqualTo(VmState.RUNNING);
        assertThat(r.lastHeartbeatSeq()).as("sequence continues, not restarted").isGreaterThan(first.heartbeatSeq())
                .isLessThan(first.heartbeatSeq() + 40);
        assertThat(r.guestUptimeMs()).as("uptime does not reset").isGreaterThanOrEqualTo(first.guestUptimeMs());
        long restoredCounter = node.client().counter("ck2").value();
        assertThat(restoredCounter).as("memory continuity counter").isGreaterThanOrEqualTo(first.counter())
                .isLessThan(originalCounter + 1000);
        assertThat(exec("ck2", "cat /data/before").output()).contains("before");
        ExecResult after = node.client().exec("ck2", "ls /data/after", T);
        assertThat(after.exitCode()).as("a file written after the checkpoint is not there").isNotZero();
        assertThat(exec("ck", "cat /data/after").output()).as("the original is untouched").contains("after");
        assertThat(node.client().events("ck2", 0, 1000)).extracting(VmEvent::type).contains(VmEvent.Type.RESTORED);
    }

    @Test
    @Order(2)
    void laterCheckpointsOnlyAddWhatChangedAndLiveOnesPauseBriefly() {
        CheckpointManifest live = node.client().checkpoint("ck", true, "live");
        assertThat(live.live()).isTrue();
        assertThat(live.layers()).hasSize(2).startsWith(first.layers().get(0));
        assertThat(live.pauseMs()).as("live checkpoint pause").isLessThan(first.pauseMs() + 1);
        long newLayer = live.files().stream().filter(f -> f.path().equals(live.layers().get(1))).findFirst().orElseThrow().size();
        assertThat(newLayer).as("second layer holds only the changes").isLessThan(8L << 20);
        await().atMost(T).until(() -> status("ck").lastHeartbeatSeq() > live.heartbeatSeq() + 2);
        assertThat(status("ck").state()).isEqualTo(VmState.RUNNING);
    }

    @Test
    @Order(3)
    void corruptedCheckpointIsRefusedNamingTheFile() throws Exception {
        CheckpointManifest m = node.client().checkpoint("ck2", false, "to-corrupt");
        Path state = store().resolve(m.stateFile());
        flipMiddleByte(state);
        assertThatThrownBy(() -> node.client().restore(m.id(), "broken", true, T))
                .isInstanceOf(HpcvirtException.class)
                .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.REFUSED))
                .hasMessageContaining("corrupted").hasMessageContaining(state.toString());
        assertThat(node.client().list()).extracting(VmStatus::name).doesNotContain("broken");
        assertThat(node.client().deleteCheckpoint(m.id())).contains(m.id() + "/");
    }

    @Test
    @Order(4)
    void suspendFreesTheQemuAndWakeContinues() {
        exec("ck2", "echo suspended > /data/s && sync");
        long pid = status("ck2").pid();
        CheckpointManifest m = node.client().suspend("ck2");
        assertThat(m.tag()).isEqualTo(CheckpointManifest.SUSPEND_TAG);
        VmStatus s = status("ck2");
        assertThat(s.state()).isEqualTo(VmState.SUSPENDED);
        assertThat(s.pid()).isZero();
        assertThat(ProcessInfo.isAlive(pid, 0)).isFalse();
        assertThatThrownBy(() -> node.client().suspend("ck2"))
                .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.WRONG_STATE))
                .hasMessageContaining("SUSPENDED");
        // start would cold-boot it and drop the suspended memory: refused, naming wake
        assertThatThrownBy(() -> node.client().start("ck2", true, T))
                .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.WRONG_STATE))
                .hasMessageContaining("in state SUSPENDED").hasMessageContaining("use 'wake'");
        assertThat(status("ck2").pid()).isZero();
        // a damaged suspend checkpoint is refused and the VM stays SUSPENDED; repaired, it wakes
        Path state = store().resolve(m.stateFile());
        flipMiddleByte(state);
        assertThatThrownBy(() -> node.client().wake("ck2", T))
                .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.REFUSED))
                .hasMessageContaining("corrupted").hasMessageContaining(state.toString());
        assertThat(status("ck2").state()).isEqualTo(VmState.SUSPENDED);
        assertThat(status("ck2").pid()).isZero();
        flipMiddleByte(state);
        VmStatus w = node.client().wake("ck2", T);
        assertThat(w.state()).isEqualTo(VmState.RUNNING);
        assertThat(w.lastHeartbeatSeq()).isGreaterThan(m.heartbeatSeq());
        assertThat(exec("ck2", "cat /data/s /data/before").output()).contains("suspended").contains("before");
    }

    @Test
    @Order(5)
    void pruneKeepsTheLayersThatKeptCheckpointsNeed() {
        CheckpointManifest a = node.client().checkpoint("ck", false, null);
        List<String> deleted = node.client().prune("ck", 1);
        assertThat(deleted).contains(first.id()).doesNotContain(a.id());
        // the kept checkpoint's chain starts with the first checkpoint's layer: still there, still valid
        assertThat(a.layers()).contains(first.layers().get(0));
        assertThat(node.client().checkpointInfo(a.id(), true).id()).isEqualTo(a.id());
        assertThat(node.client().checkpoints("ck")).extracting(CheckpointManifest::id).containsExactly(a.id());
    }

    @Test
    @Order(6)
    void longDiskChainsAreFlattenedAndOldLayersGoWithTheirCheckpoints() throws java.io.IOException {
        // the third checkpoint of ck (Order 5) froze its third layer: the daemon flattened the chain after it
        CheckpointManifest a = node.client().checkpoints("ck").get(0);
        assertThat(a.layers()).hasSize(3);
        // the flatten runs in the background; the next checkpoint waits for it
        await().atMost(T).untilAsserted(() -> assertThat(node.client().events("ck", 0, 1000)).extracting(VmEvent::message)
                .anySatisfy(msg -> assertThat(msg).startsWith("disk chain shortened: 3 frozen layer(s)")));
        exec("ck", "echo late > /data/late && sync");
        CheckpointManifest b = node.client().checkpoint("ck", true, "full");
        assertThat(b.layers()).as("a new chain: one layer holding the whole disk").hasSize(1).doesNotContainAnyElementsOf(a.layers());

        VmStatus r = node.client().restore(b.id(), "ck3", true, T);
        assertThat(r.state()).isEqualTo(VmState.RUNNING);
        assertThat(exec("ck3", "cat /data/before /data/after /data/late").output()).contains("before").contains("after").contains("late");
        Path ck3Top = node.layout().vmDir("ck3").resolve("data.qcow2").toRealPath();
        assertThat(ck3Top).startsWith(store().layersDir().toRealPath());
        node.client().destroy("ck3");
        // its own top layer goes with it; the layers of the checkpoint it came from stay
        assertThat(ck3Top).doesNotExist();
        assertThat(b.layers()).allSatisfy(l -> assertThat(store().resolve(l)).exists());

        assertThat(node.client().prune("ck", 1)).containsExactly(a.id());
        // ck2's checkpoints still sit on the first layer; the two later layers of ck's old chain are gone
        for (String layer : a.layers().subList(1, 3)) {
            assertThat(store().resolve(layer)).as(layer).doesNotExist();
        }
        assertThat(store().resolve(a.layers().get(0))).exists();
        assertThat(node.client().checkpointInfo(b.id(), true).id()).isEqualTo(b.id());
    }

    @Test
    @Order(7)
    void daemonKilledMidCheckpointLeavesNoCompleteLookingCheckpoint() throws Exception {
        List<String> before = store().list("ck").stream().map(CheckpointManifest::id).toList();
        CompletableFuture<Object> running = CompletableFuture.supplyAsync(() -> {
            try {
                return node.client().checkpoint("ck", false, "interrupted");
            } catch (HpcvirtException e) {
                return e;
            }
        });
        await().atMost(T).pollInterval(Duration.ofMillis(2)).until(() -> temporaries().findAny().isPresent() || running.isDone());
        node.killDaemon();
        assertThat(running.get()).as("the checkpoint must not have completed before the kill").isInstanceOf(HpcvirtException.class);
        assertThat(store().list("ck")).extracting(CheckpointManifest::id).containsExactlyElementsOf(before);
        node.startDaemon();
        assertThat(node.client().checkpoints("ck")).extracting(CheckpointManifest::id).containsExactlyElementsOf(before);
        for (String id : before) {
            assertThat(node.client().checkpointInfo(id, true).id()).as("earlier checkpoint intact").isEqualTo(id);
        }
    }

    private static void flipMiddleByte(Path file) {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(f.length() / 2);
            int b = f.read();
            f.seek(f.length() / 2);
            f.write(b ^ 0xff);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Stream<Path> temporaries() throws java.io.IOException {
        Path root = node.layout().checkpointStore();
        if (!Files.isDirectory(root)) {
            return Stream.empty();
        }
        try (Stream<Path> s = Files.list(root)) {
            return s.filter(p -> p.getFileName().toString().startsWith(".tmp-")).toList().stream();
        }
    }
}
