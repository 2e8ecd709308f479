package org.hpcvirt.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.as;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.STRING;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.backend.Backend;
import org.hpcvirt.backend.Capabilities;
import org.hpcvirt.backend.Capability;
import org.hpcvirt.backend.Checkpointable;
import org.hpcvirt.backend.Migratable;
import org.hpcvirt.backend.IncomingLaunch;
import org.hpcvirt.backend.Instance;
import org.hpcvirt.backend.InstanceListener;
import org.hpcvirt.backend.LaunchSpec;
import org.hpcvirt.backend.MemoryAccess;
import org.hpcvirt.backend.Pausable;
import org.hpcvirt.backend.ProbeResult;
import org.hpcvirt.backend.RunState;
import org.hpcvirt.daemon.Daemon;
import org.hpcvirt.guest.GuestChannel;
import org.hpcvirt.guest.Heartbeat;
import org.hpcvirt.guest.Image;
import org.hpcvirt.guest.ImageStore;
import org.hpcvirt.profile.VmProfile;
import org.hpcvirt.backend.Checkpointable;
import org.hpcvirt.backend.DiskSnapshots;
import org.hpcvirt.backend.Migratable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The behaviour every backend must show, step by step for the capabilities it declares
 * ({@link Backend#capabilities()}): every registered backend answers its probe with a reason, gives
 * a reason for each capability it lacks, and refuses to launch when it cannot run; each backend
 * whose probe passes here (the kvm backend only where KVM really boots a guest) launches, is
 * re-attached and killed, and — where it declares them — pauses and resumes, gives access to guest
 * memory and offers incoming launches. A declared capability must be there; an absent one must be
 * absent from the instance too, so the matrix cannot claim more or less than the backend does.
 * libvirtd is started for the libvirt backend unless it runs, and only what this class started is
 * stopped.
 */
class BackendContractIT {
    private static final LibvirtDaemons LIBVIRT = new LibvirtDaemons();

    @BeforeAll
    static void libvirtUp() {
        String why = LIBVIRT.up();
        assertThat(why).as("libvirtd must be startable where the contract runs").isNull();
    }

    @AfterAll
    static void libvirtDown() {
        LIBVIRT.down();
    }

    static Stream<String> backends() {
        return Daemon.defaultBackends().all().stream().map(Backend::name);
    }

    /**
     * The backends whose probe passes here: the contract runs on each of them (kvm only where KVM
     * really boots a guest). QEMU/TCG always can, so the list is never empty.
     */
    static Stream<String> usableBackends() {
        List<String> usable = Daemon.defaultBackends().all().stream().filter(b -> b.probe().usable()).map(Backend::name).toList();
        assertThat(usable).as("QEMU/TCG and libvirt must be usable wherever the tests run").contains("qemu", "libvirt");
        return usable.stream();
    }

    @ParameterizedTest
    @MethodSource("backends")
    void everyAbsentCapabilityHasAReason(String name) {
        Backend backend = Daemon.defaultBackends().get(name);
        Capabilities caps = backend.capabilities();
        for (Capability c : Capability.values()) {
            if (!caps.has(c)) {
                assertThat(caps.reasonAbsent(c)).as(name + " lacks " + c.label()).get(as(STRING)).isNotBlank();
            }
        }
        assertThat(caps.has(Capability.LIFECYCLE)).as("lifecycle follows the probe").isEqualTo(backend.probe().usable());
        if (caps.has(Capability.MIGRATE)) {
            assertThat(backend.capability(IncomingLaunch.class)).as(name + " migrates, so it launches incoming instances").isPresent();
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void everyBackendSaysWhetherItCanRunAndWhyNot(String name) throws Exception {
        Backend backend = Daemon.defaultBackends().get(name);
        ProbeResult probe = backend.probe();
        assertThat(probe.reason()).isNotBlank();
        if (probe.usable()) {
            assertThat(probe.version()).isNotBlank();
            return;
        }
        // an unusable backend refuses to launch, with the probe's reason, and starts nothing
        Path run = Files.createTempDirectory(Path.of("/tmp"), "hvc");
        try {
            VmProfile p = new VmProfile("refused-" + name, name, 1, 96L << 20, null, VmProfile.Network.NONE, TestNode.IMAGE,
                    Duration.ofMillis(200), Duration.ofSeconds(2), List.of(), "", null);
            assertThatThrownBy(() -> backend.launch(new LaunchSpec(p, run, Path.of("/nonexistent/vmlinuz"),
                    Path.of("/nonexistent/initramfs"), null, null, false)))
                    .isInstanceOf(HpcvirtException.class)
                    .hasMessageContaining(probe.reason())
                    .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(org.hpcvirt.api.ErrorCode.BACKEND_UNAVAILABLE));
            assertThat(Files.exists(run.resolve("qemu.pid"))).isFalse();
        } finally {
            org.hpcvirt.api.DirectoryTree.delete(run);
        }
    }

    @ParameterizedTest
    @MethodSource("usableBackends")
    void launchPauseResumeAttachKill(String name) throws Exception {
        Backend backend = Daemon.defaultBackends().get(name);

        Image image = new ImageStore(TestNode.sharedImages()).get(TestNode.IMAGE);
        Path run = Files.createTempDirectory(Path.of("/tmp"), "hvc");
        VmProfile p = new VmProfile("contract-" + name, name, 1, 96L << 20, null, VmProfile.Network.NONE, TestNode.IMAGE,
                Duration.ofMillis(200), Duration.ofSeconds(2), List.of(), "", null);
        Instance inst = backend.launch(new LaunchSpec(p, run, image.kernel(), image.initramfs(), null, null, false));
        Instance attached = null;
        try {
            List<InstanceListener.Kind> seen = new CopyOnWriteArrayList<>();
            inst.addListener((kind, evName, data) -> seen.add(kind));
            assertThat(inst.pid()).isPositive();
            assertThat(inst.isAlive()).isTrue();
            assertThat(inst.runState()).isEqualTo(RunState.RUNNING);
            await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(inst.consoleLog())
                    && Files.readString(inst.consoleLog()).contains("hpcvirt: init done"));

            Capabilities caps = backend.capabilities();
            assertThat(inst.capability(String.class)).isEmpty();
            assertThat(inst.capability(Pausable.class).isPresent()).as("pause").isEqualTo(caps.has(Capability.PAUSE));
            assertThat(inst.capability(Checkpointable.class).isPresent()).as("checkpoint").isEqualTo(caps.has(Capability.CHECKPOINT));
            assertThat(inst.capability(Migratable.class).isPresent()).as("migrate").isEqualTo(caps.has(Capability.MIGRATE));
            assertThat(inst.capability(MemoryAccess.class).isPresent()).as("memory access").isEqualTo(caps.has(Capability.MEMORY_ACCESS));

            if (caps.has(Capability.PAUSE)) {
                Pausable pausable = inst.capability(Pausable.class).orElseThrow();
                pausable.pause();
                assertThat(inst.runState()).isEqualTo(RunState.PAUSED);
                pausable.resume();
                assertThat(inst.runState()).isEqualTo(RunState.RUNNING);
                await().atMost(Duration.ofSeconds(5)).until(() -> seen.contains(InstanceListener.Kind.STOPPED)
                        && seen.contains(InstanceListener.Kind.RESUMED));
                // capabilities are objects of their own, the same one each time
                assertThat((Object) pausable).isNotSameAs(inst);
                assertThat(inst.capability(Pausable.class)).containsSame(pausable);
            }
            if (caps.has(Capability.MIGRATE)) {
                assertThat(backend.capability(IncomingLaunch.class)).get().isNotSameAs(backend);
            }

            if (caps.has(Capability.MEMORY_ACCESS)) {
                // a memory-access session stops the vCPUs, reads and writes guest-physical memory and
                // registers, and resumes the vCPUs when closed
                MemoryAccess memory = inst.capability(MemoryAccess.class).orElseThrow();
                long at = 1L << 20;
                try (MemoryAccess.Session s = memory.open(Duration.ofSeconds(10))) {
                    assertThat(inst.runState()).isEqualTo(RunState.PAUSED);
                    byte[] original = s.read(at, 16);
                    byte[] flipped = original.clone();
                    flipped[3] ^= 0x10;
                    s.write(at, flipped);
                    assertThat(s.read(at, 16)).containsExactly(flipped);
                    s.write(at, original);
                    assertThat(s.read(at, 16)).containsExactly(original);
                    long rbx = s.readRegister("rbx");
                    s.writeRegister("rbx", rbx ^ 1);
                    assertThat(s.readRegister("rbx")).isEqualTo(rbx ^ 1);
                    s.writeRegister("rbx", rbx);
                    assertThat(s.readRegister("rip")).isNotZero();
                }
                assertThat(inst.runState()).isEqualTo(RunState.RUNNING);
            }

            // the guest agent answers on the instance's channel socket: heartbeats flow
            List<Heartbeat> beats = new CopyOnWriteArrayList<>();
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
                try (GuestChannel ch = GuestChannel.connect(inst.guestChannelSocket(), new GuestChannel.Listener() {
                    @Override
                    public void onHeartbeat(Heartbeat hb) {
                        beats.add(hb);
                    }
                })) {
                    await().atMost(Duration.ofSeconds(3)).until(() -> beats.size() >= 2);
                    return true;
                }
            });
            assertThat(beats.get(1).seq()).isGreaterThan(beats.get(0).seq());

            // a second control connection after the first is closed: what a restarted daemon does
            inst.close();
            assertThat(inst.isAlive()).as("close leaves the guest running").isTrue();
            attached = backend.attach(inst.record());
            assertThat(attached.pid()).isEqualTo(inst.pid());
            assertThat(attached.runState()).isEqualTo(RunState.RUNNING);
            List<InstanceListener.Kind> seen2 = new CopyOnWriteArrayList<>();
            attached.addListener((kind, evName, data) -> seen2.add(kind));

            attached.kill();
            assertThat(attached.isAlive()).isFalse();
            assertThat(attached.runState()).isEqualTo(RunState.EXITED);
            await().atMost(Duration.ofSeconds(10)).until(() -> seen2.contains(InstanceListener.Kind.EXITED));
            assertThatThrownBy(() -> backend.attach(inst.record())).isInstanceOf(HpcvirtException.class)
                    .hasMessageContaining("gone");
            assertNoContainerLeft(run);
        } finally {
            if (attached != null) {
                attached.kill();
                attached.close();
            }
            inst.kill();
            inst.close();
            try (Stream<Path> s = Files.walk(run)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /**
     * Where CHECKPOINT is declared: a paused save leaves the guest paused at the saved state with the
     * file's size and checksum; the instance is killed; a launch from that file with a wrong checksum
     * is refused before anything runs, one with the right checksum starts paused, and once resumed
     * the guest's heartbeats go on from where they were (the same boot, no reboot).
     */
    @ParameterizedTest
    @MethodSource("usableBackends")
    void saveAndRestoreWhereDeclared(String name) throws Exception {
        Backend backend = Daemon.defaultBackends().get(name);
        if (!backend.capabilities().has(Capability.CHECKPOINT)) {
            assertThat(backend.capabilities().reasonAbsent(Capability.CHECKPOINT)).isPresent();
            return;
        }
        Image image = new ImageStore(TestNode.sharedImages()).get(TestNode.IMAGE);
        Path run = Files.createTempDirectory(Path.of("/tmp"), "hvc");
        Path state = Files.createTempFile(Path.of("/tmp"), "hvc-state", ".bin");
        VmProfile p = new VmProfile("ckpt-" + name, name, 1, 96L << 20, null, VmProfile.Network.NONE, TestNode.IMAGE,
                Duration.ofMillis(200), Duration.ofSeconds(2), List.of(), "", null);
        Instance inst = backend.launch(new LaunchSpec(p, run, image.kernel(), image.initramfs(), null, null, false));
        Instance restored = null;
        try {
            assertThat(inst.capability(DiskSnapshots.class)).as(name + " checkpoints, so it snapshots disks").isPresent();
            long before = heartbeats(inst).get(1).seq();
            Checkpointable cp = inst.capability(Checkpointable.class).orElseThrow();
            Checkpointable.SaveResult r = cp.saveState(state, Checkpointable.SaveOptions.paused());
            // QEMU calls the state after a save to a file post-migrate: stopped just the same
            assertThat(inst.runState()).as("left paused at the saved state").isIn(RunState.PAUSED, RunState.MIGRATED);
            assertThat(r.fileBytes()).isEqualTo(Files.size(state)).isPositive();
            String sha = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(state)));
            if (r.sha256() != null) {
                assertThat(r.sha256()).isEqualTo(sha);
            }
            inst.kill();
            inst.close();

            assertThatThrownBy(() -> backend.launch(new LaunchSpec(p, run, image.kernel(), image.initramfs(), null, state, true,
                    "0".repeat(64))))
                    .isInstanceOf(HpcvirtException.class)
                    .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(org.hpcvirt.api.ErrorCode.REFUSED));
            restored = backend.launch(new LaunchSpec(p, run, image.kernel(), image.initramfs(), null, state, true, sha));
            assertThat(restored.runState()).isEqualTo(RunState.PAUSED);
            restored.capability(Pausable.class).orElseThrow().resume();
            assertThat(restored.runState()).isEqualTo(RunState.RUNNING);
            List<Heartbeat> after = heartbeats(restored);
            assertThat(after.get(0).seq()).as("the restored guest goes on counting").isGreaterThanOrEqualTo(before);
            assertThat(after.get(1).seq()).isGreaterThan(after.get(0).seq());
        } finally {
            inst.kill();
            inst.close();
            if (restored != null) {
                restored.kill();
                restored.close();
            }
            Files.deleteIfExists(state);
            org.hpcvirt.api.DirectoryTree.delete(run);
        }
    }

    /** Two heartbeats of the guest agent on the instance's channel socket. */
    private static List<Heartbeat> heartbeats(Instance inst) {
        List<Heartbeat> beats = new CopyOnWriteArrayList<>();
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
            beats.clear();
            try (GuestChannel ch = GuestChannel.connect(inst.guestChannelSocket(), new GuestChannel.Listener() {
                @Override
                public void onHeartbeat(Heartbeat hb) {
                    beats.add(hb);
                }
            })) {
                await().atMost(Duration.ofSeconds(3)).until(() -> beats.size() >= 2);
                return true;
            }
        });
        return List.copyOf(beats);
    }

    /** A killed container leaves neither crun state nor a cgroup in any hierarchy (a no-op for VMs). */
    private static void assertNoContainerLeft(Path run) throws Exception {
        Path idFile = run.resolve("container.id");
        if (!Files.exists(idFile)) {
            return;
        }
        String id = Files.readString(idFile).strip();
        Process state = new ProcessBuilder("crun", "state", id).redirectErrorStream(true).start();
        state.getInputStream().readAllBytes();
        assertThat(state.waitFor()).as("crun state " + id + " after kill").isNotZero();
        try (Stream<Path> hierarchies = Files.list(Path.of("/sys/fs/cgroup"))) {
            for (Path h : hierarchies.toList()) {
                assertThat(h.resolve("hpcvirt").resolve(id)).as("cgroup of " + id).doesNotExist();
            }
        }
    }
}
