package org.hpcvirt.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Json;
import org.hpcvirt.api.Operation;
import org.hpcvirt.api.RequestContext;
import org.hpcvirt.api.VmEvent;
import org.hpcvirt.api.VmState;
import org.hpcvirt.backend.FakeBackend;
import org.hpcvirt.checkpoint.CheckpointException;
import org.hpcvirt.checkpoint.CheckpointManifest;
import org.hpcvirt.guest.FakeAgent;
import org.hpcvirt.vm.NodeLayout;
import org.hpcvirt.vm.VmStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The control plane as the daemon composes it ({@link NodeServices}), against an in-memory backend
 * and a scripted guest agent: lifecycle, detections, checkpoint/suspend/wake, failure paths and
 * re-attach, all through the dispatcher. No QEMU; the real-QEMU proofs are the *IT classes.
 */
class ControlPlaneTest {
    private static final String PROFILE = "name: %s\nbackend: fake\ncpus: 1\nmemory: 64M\nheartbeat:\n  interval: 100ms\n"
            + "  timeout: 30s\n";
    /** A VM that counts as hung after half a second of silence. */
    private static final String IMPATIENT = PROFILE.replace("30s", "500ms");

    private FakeNode fake;
    private NodeLayout layout;
    private FakeBackend backend;
    private NodeServices node;

    @BeforeEach
    void setUp() throws IOException {
        fake = new FakeNode("hv-cp");
        layout = fake.layout;
        backend = fake.backend;
        node = fake.node();
    }

    @AfterEach
    void tearDown() throws IOException {
        fake.close();
    }

    private Object run(Operation op) {
        return fake.run(op);
    }

    private VmState state(String vm) {
        return fake.state(vm);
    }

    private List<VmEvent> events(String vm) {
        return fake.events(vm);
    }

    /** Defines and starts {@code vm}, then lets its agent send a first heartbeat: RUNNING. */
    private FakeAgent running(String vm) throws IOException {
        return running(vm, PROFILE);
    }

    private FakeAgent running(String vm, String profile) throws IOException {
        return fake.running(vm, profile);
    }

    private static void assertCode(ThrowingCall call, ErrorCode code, String message) {
        assertThatThrownBy(call::run).isInstanceOf(HpcvirtException.class).hasMessageContaining(message)
                .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(code));
    }

    @FunctionalInterface
    private interface ThrowingCall {
        void run();
    }

    @Test
    void startPauseResumeStopWithHeartbeats() throws IOException {
        FakeAgent agent = running("a");
        FakeBackend.FakeInstance inst = backend.last();
        run(new Operation.Pause("a"));
        assertThat(state("a")).isEqualTo(VmState.PAUSED);
        assertThat(inst.pauseCount()).isEqualTo(1);
        assertCode(() -> run(new Operation.Pause("a")), ErrorCode.WRONG_STATE, "cannot pause VM 'a' in state PAUSED");
        run(new Operation.Resume("a"));
        assertThat(inst.resumeCount()).isEqualTo(1);
        agent.beat();
        await().atMost(Duration.ofSeconds(5)).until(() -> ((VmStatus) run(new Operation.Status("a"))).lastHeartbeatSeq() == 2);
        VmStatus stopped = (VmStatus) run(new Operation.Stop("a", true, null));
        assertThat(stopped.state()).isEqualTo(VmState.STOPPED);
        assertThat(inst.isAlive()).isFalse();
        assertThat(events("a")).extracting(VmEvent::state).containsSubsequence(VmState.DEFINED, VmState.STARTING, VmState.RUNNING,
                VmState.PAUSED, VmState.RUNNING, VmState.STOPPING, VmState.STOPPED);
    }

    @Test
    void silenceMakesAVmHungAndAHeartbeatBringsItBack() throws IOException {
        FakeAgent agent = running("h", IMPATIENT);
        await().atMost(Duration.ofSeconds(10)).until(() -> state("h") == VmState.HUNG);
        assertThat(events("h")).anyMatch(e -> e.type() == VmEvent.Type.HEARTBEAT_LOST);
        agent.beat();
        await().atMost(Duration.ofSeconds(5)).until(() -> state("h") == VmState.RUNNING);
        assertThat(events("h")).anyMatch(e -> e.type() == VmEvent.Type.HEARTBEAT_RESUMED);
    }

    @Test
    void aGuestThatFloodsAndKeepsDroppingItsPortIsCountedAndHeardAgain() throws IOException {
        FakeAgent agent = running("g");
        byte[] noise = new byte[4 << 20];
        new java.util.Random(7).nextBytes(noise);
        byte[] mib = ("HB seq=1 " + "x".repeat(1 << 20) + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        assertThat(agent.sendRaw(mib)).isTrue();
        assertThat(agent.sendRaw(noise)).isTrue();
        await().atMost(Duration.ofSeconds(10)).until(() -> ((VmStatus) run(new Operation.Status("g"))).garbageLines() > 0);
        // the port closes and opens again and again: the daemon reconnects each time and stays responsive
        for (int i = 0; i < 10; i++) {
            agent.drop();
            assertThat(state("g")).isIn(VmState.RUNNING, VmState.HUNG);
            await().atMost(Duration.ofSeconds(10)).until(agent::connected);
        }
        long seq = ((VmStatus) run(new Operation.Status("g"))).lastHeartbeatSeq();
        agent.beat();
        await().atMost(Duration.ofSeconds(10)).until(() -> ((VmStatus) run(new Operation.Status("g"))).lastHeartbeatSeq() > seq);
        assertThat(state("g")).isEqualTo(VmState.RUNNING);
    }

    @Test
    void aVmWhoseMonitorIsHeldDoesNotStopHangDetectionOfTheOthers() throws Exception {
        // checked in name order: the held VM comes first, so a checker that waited for it would never reach the other
        running("a-held", IMPATIENT);
        running("b-free", IMPATIENT);
        var held = node.vms().get("a-held");
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch holding = new java.util.concurrent.CountDownLatch(1);
        Thread holder = new Thread(() -> {
            synchronized (held) {
                holding.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        holder.start();
        try {
            holding.await();
            // both go silent; the one whose monitor is free becomes HUNG while the other's is held
            await().atMost(Duration.ofSeconds(10)).until(() -> state("b-free") == VmState.HUNG);
            assertThat(state("a-held")).isEqualTo(VmState.RUNNING);
        } finally {
            release.countDown();
            holder.join();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> state("a-held") == VmState.HUNG);
    }

    @Test
    void aVmmExitIsACrashAndAPanicKeepsTheGuestForInspection() throws IOException {
        running("c");
        backend.last().exit(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> state("c") == VmState.CRASHED);
        assertThat(events("c")).anyMatch(e -> e.type() == VmEvent.Type.QEMU_EXITED && e.message().contains("exit code 1"));
        running("p");
        backend.last().panic();
        await().atMost(Duration.ofSeconds(5)).until(() -> state("p") == VmState.PANICKED);
        assertThat(backend.last().isAlive()).isTrue();
        assertThat(((VmStatus) run(new Operation.Stop("p", null, null))).state()).isEqualTo(VmState.STOPPED);
    }

    @Test
    void aSuspendedVmIsWokenNotColdBooted() throws IOException {
        FakeAgent agent = running("s");
        agent.beat();
        CheckpointManifest m = (CheckpointManifest) run(new Operation.Suspend("s"));
        assertThat(m.tag()).isEqualTo(CheckpointManifest.SUSPEND_TAG);
        assertThat(state("s")).isEqualTo(VmState.SUSPENDED);
        assertThat(backend.last().isAlive()).isFalse();
        int launches = backend.instances().size();
        assertCode(() -> run(new Operation.Start("s", false, null)), ErrorCode.WRONG_STATE, "use 'wake'");
        assertThat(backend.instances()).as("a refused start launches nothing").hasSize(launches);
        run(new Operation.Wake("s", false, null, null));
        assertThat(backend.last().spec().incoming()).as("woken from the suspend checkpoint")
                .isEqualTo(node.dispatcher().execute(new Operation.GetCheckpoint(m.id(), false), RequestContext.INTERNAL,
                        CheckpointManifest.class).files().stream().findFirst().map(f -> layout.checkpointStore().resolve(f.path())).get());
        await().atMost(Duration.ofSeconds(10)).until(agent::connected);
        agent.beat();
        await().atMost(Duration.ofSeconds(10)).until(() -> state("s") == VmState.RUNNING);
    }

    @Test
    void aFailedCheckpointLeavesTheVmRunningAndListsNothing() throws IOException {
        running("f");
        FakeBackend.FakeInstance inst = backend.last();
        inst.failNext("saveState", new HpcvirtException(ErrorCode.OPERATION_FAILED, "disk full"));
        assertCode(() -> run(new Operation.Checkpoint("f", null, null)), ErrorCode.OPERATION_FAILED, "disk full");
        assertThat(state("f")).isEqualTo(VmState.RUNNING);
        assertThat(run(new Operation.ListCheckpoints("f"))).asList().isEmpty();
        assertThat(events("f")).anyMatch(e -> e.type() == VmEvent.Type.ERROR && e.message().startsWith("checkpoint failed"));
    }

    @Test
    void aCorruptedCheckpointIsRefusedAndTheVmStaysAsItWas() throws IOException {
        running("r");
        CheckpointManifest m = (CheckpointManifest) run(new Operation.Checkpoint("r", null, "t"));
        run(new Operation.Stop("r", true, null));
        Path state = layout.checkpointStore().resolve(m.stateFile());
        byte[] b = Files.readAllBytes(state);
        b[0] ^= 1;
        Files.write(state, b);
        int launches = backend.instances().size();
        assertThatThrownBy(() -> run(new Operation.Restore(m.id(), "r", false, null))).isInstanceOf(CheckpointException.class);
        assertThat(state("r")).isEqualTo(VmState.STOPPED);
        assertThat(backend.instances().subList(launches, backend.instances().size())).allMatch(i -> !i.isAlive());
        // into a new name, a refused restore leaves no VM behind
        assertThatThrownBy(() -> run(new Operation.Restore(m.id(), "copy", false, null))).isInstanceOf(CheckpointException.class);
        assertCode(() -> run(new Operation.Status("copy")), ErrorCode.NOT_FOUND, "VM 'copy' not found");
    }

    @Test
    void aRestartedDaemonReattachesToRunningVmsAndNoticesGoneOnes() throws IOException {
        running("k");
        running("g");
        FakeBackend.FakeInstance keep = backend.instances().get(0);
        FakeBackend.FakeInstance gone = backend.last();
        node = fake.restart(() -> gone.exit(9));
        node.recover();
        assertThat(keep.attachCount()).isEqualTo(1);
        assertThat(state("k")).isEqualTo(VmState.RUNNING);
        assertThat(state("g")).isEqualTo(VmState.CRASHED);
        assertThat(events("k")).anyMatch(e -> e.type() == VmEvent.Type.ATTACHED);
    }

    @Test
    void migrationWithoutANodeCertificateIsRefusedAndTheVmKeepsRunning() throws IOException {
        running("m");
        assertCode(() -> run(new Operation.Migrate("m", "https://10.200.0.2:7700", null, null, null, null)), ErrorCode.INVALID_INPUT,
                "this daemon has no TCP listener and no node certificate");
        assertThat(state("m")).isEqualTo(VmState.RUNNING);
    }

    @Test
    void anIncomingGuestThatAlreadyRunsHereIsKeptWhenTheSourceNeverAsksToResumeIt() {
        // libvirt's protocol resumes the guest on arrival and removes the source's copy: giving up would destroy the only copy
        run(new Operation.PrepareIncoming(String.format(PROFILE, "arr"), null, "n2", null, 1, null));
        FakeBackend.FakeInstance arriving = backend.last();
        arriving.runsOnArrival = true;
        await().atMost(Duration.ofSeconds(10)).until(() -> events("arr").stream().anyMatch(e -> "kept".equals(e.data().get("outcome"))));
        assertThat(arriving.isAlive()).as("the guest that runs here is not killed").isTrue();
        assertThat(arriving.calls()).contains("awaitIncomingAndResume");
        assertThat(state("arr")).isIn(VmState.STARTING, VmState.RUNNING);
        assertThat(events("arr")).noneMatch(e -> "given-up".equals(e.data().get("outcome")));
        assertCode(() -> run(new Operation.ResumeIncoming("arr", null)), ErrorCode.WRONG_STATE, "not waiting for an incoming migration");
    }

    @Test
    void anIncomingMigrationThatIsNeverResumedIsGivenUp() throws IOException {
        String yaml = String.format(PROFILE, "in");
        var in = (org.hpcvirt.migration.MigrationPeer.IncomingMigration) run(new Operation.PrepareIncoming(yaml, null, "n2", null, 1, null));
        assertThat(in.uri()).startsWith("tcp:");
        assertThat(state("in")).isEqualTo(VmState.STARTING);
        FakeBackend.FakeInstance waiting = backend.last();
        await().atMost(Duration.ofSeconds(10)).until(() -> !waiting.isAlive());
        assertCode(() -> run(new Operation.Status("in")), ErrorCode.NOT_FOUND, "VM 'in' not found");
        assertThat(events("in")).anyMatch(e -> e.type() == VmEvent.Type.MIGRATION && e.message().contains("given up")
                && e.message().contains("did not resume it within 1 s") && "given-up".equals(e.data().get("outcome")));
        // the name is free again: the next incoming migration of it is accepted
        run(new Operation.PrepareIncoming(yaml, null, "n2", null, 600, null));
        assertThat(state("in")).isEqualTo(VmState.STARTING);
        run(new Operation.ResumeIncoming("in", null));
        assertCode(() -> run(new Operation.ResumeIncoming("in", null)), ErrorCode.WRONG_STATE, "not waiting for an incoming migration");
        // a waiting QEMU whose stream breaks (it exits) is given up at once, long before its deadline
        run(new Operation.PrepareIncoming(String.format(PROFILE, "in2"), null, "n2", null, 600, null));
        backend.last().exit(1);
        await().atMost(Duration.ofSeconds(10)).until(() -> node.events().history("in2", 0, 100).stream()
                .anyMatch(e -> e.type() == VmEvent.Type.DESTROYED));
        assertThat(events("in2")).anyMatch(e -> e.message().contains("its QEMU exited before the source resumed it"));
    }

    @Test
    void aDestroyedVmsTopLayerGoesButNotOneAnArrivingMigrationStillShares() throws IOException {
        java.nio.file.Path layers = new org.hpcvirt.checkpoint.CheckpointStore(layout.checkpointStore()).layersDir();
        java.nio.file.Files.createDirectories(layers);
        java.nio.file.Path base = java.nio.file.Files.write(layers.resolve("base.raw"), new byte[1 << 16]);
        java.nio.file.Path sourcesTop = layers.resolve("source-top.qcow2");
        org.hpcvirt.checkpoint.Qcow2.createOverlay(base, sourcesTop, 64L << 20);
        String withDisk = String.format(PROFILE, "in") + "disk:\n  size: 64M\n";
        // an incoming VM opens the source's top layer in the shared store; destroying it here must not take it away
        run(new Operation.PrepareIncoming(withDisk, sourcesTop.toString(), "n2", null, 600, null));
        assertThat(state("in")).isEqualTo(VmState.STARTING);
        run(new Operation.Destroy("in"));
        assertThat(sourcesTop).as("the source's disk").exists();
        // a VM of this node whose top layer moved to the store: destroyed, its layer goes with it
        run(new Operation.Define(String.format(PROFILE, "own") + "disk:\n  size: 64M\n", "test", null));
        java.nio.file.Path ownTop = layers.resolve("own-top.qcow2");
        org.hpcvirt.checkpoint.Qcow2.createOverlay(base, ownTop, 64L << 20);
        node.vms().linkDataDisk("own", ownTop);
        run(new Operation.Destroy("own"));
        assertThat(ownTop).doesNotExist();
        assertThat(base).exists();
    }

    @Test
    void aRestartedSourceDaemonCancelsTheMigrationItsVmmStillRuns() throws IOException {
        running("src");
        FakeBackend.FakeInstance inst = backend.last();
        // the daemon dies while its VM is MIGRATING (the record says so); the VMM still runs the guest
        node = fake.restart(() -> {
            try (var store = new org.hpcvirt.vm.store.VmStore(layout.database())) {
                store.update(store.all().stream().filter(r -> r.name().equals("src")).findFirst().orElseThrow().with(VmState.MIGRATING));
            }
        });
        node.recover();
        assertThat(inst.calls()).contains("cancelOutgoing");
        assertThat(state("src")).isEqualTo(VmState.RUNNING);
        assertThat(events("src")).anyMatch(e -> e.type() == VmEvent.Type.MIGRATION && "interrupted".equals(e.data().get("outcome")));
    }

    @Test
    void execNeedsExactlyOneFormAndARunningVm() throws IOException {
        run(new Operation.Define(String.format(PROFILE, "e"), "test", null));
        assertCode(() -> run(new Operation.Exec("e", List.of("true"), null, null)), ErrorCode.WRONG_STATE,
                "cannot exec VM 'e' in state DEFINED (allowed in RUNNING)");
        running("x");
        assertCode(() -> run(new Operation.Exec("x", List.of("a"), "b", null)), ErrorCode.INVALID_INPUT, "give exactly one of 'argv'");
        assertCode(() -> run(new Operation.Exec("x", List.of(), null, null)), ErrorCode.INVALID_INPUT, "non-empty array");
    }

    @Test
    void definitionErrorsKeepTheirProblemListAsDetails() {
        HpcvirtException e = org.junit.jupiter.api.Assertions.assertThrows(HpcvirtException.class,
                () -> run(new Operation.Define("name: bad\nbackend: fake\ncpus: 0\nmemory: 64M\nfoo: 1\n", "bad.yaml", null)));
        assertThat(Json.mapper().valueToTree(e.details()).path("problems").size()).isEqualTo(2);
        assertThat(e.getMessage()).contains("bad.yaml:3: cpus").contains("bad.yaml:5: unknown field 'foo'");
    }
}
