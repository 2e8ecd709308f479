package org.hpcvirt.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.profile.VmProfile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The backend SPI's capability lookup and contracts, on the in-memory {@link FakeBackend}. */
class BackendSpiTest {
    private static final List<Class<?>> INSTANCE_CAPABILITIES = List.of(Pausable.class, Checkpointable.class, DiskSnapshots.class,
            Migratable.class, MemoryAccess.class);
    @TempDir
    Path dir;

    private LaunchSpec spec(String backend, Path disk) {
        VmProfile p = new VmProfile("spi-" + backend, backend, 1, 64L << 20, null, VmProfile.Network.NONE, "img",
                Duration.ofMillis(200), Duration.ofSeconds(2), List.of(), "", null);
        return new LaunchSpec(p, dir.resolve("run"), dir.resolve("vmlinuz"), dir.resolve("initramfs"), disk, null, false);
    }

    @Test
    void capabilitiesAreFoundByTheirInterfaceAndAreNotTheInstance() {
        FakeBackend b = FakeBackend.full("fake");
        Instance inst = b.launch(spec("fake", null));
        List<Object> seen = new ArrayList<>();
        for (Class<?> c : INSTANCE_CAPABILITIES) {
            Object cap = inst.capability(c).orElseThrow();
            assertThat(cap).isInstanceOf(c).isNotSameAs(inst);
            assertThat(inst.capability(c)).get().isSameAs(cap);
            seen.add(cap);
        }
        assertThat(seen).doesNotHaveDuplicates();
        assertThat(inst.capability(Object.class)).isEmpty();
        assertThat(b.capability(IncomingLaunch.class)).get().isNotSameAs(b);
        assertThat(b.capability(MemoryAccess.Provider.class)).isPresent();
    }

    @Test
    void absentCapabilitiesAreEmptyNotErrors() {
        FakeBackend bare = new FakeBackend("bare");
        Instance inst = bare.launch(spec("bare", null));
        for (Class<?> c : INSTANCE_CAPABILITIES) {
            assertThat(inst.capability(c)).as(c.getSimpleName()).isEmpty();
        }
        assertThat(bare.capability(IncomingLaunch.class)).isEmpty();
        assertThat(bare.capability(MemoryAccess.Provider.class)).isEmpty();
        assertThat(new BackendRegistry(List.of(bare)).memoryAccessOf(inst.record())).isEmpty();
    }

    @Test
    void aBackendThatDeclaresNothingHasNoBackendCapabilityByDefault() {
        Backend minimal = new Backend() {
            @Override
            public String name() {
                return "minimal";
            }

            @Override
            public String description() {
                return "implements only what it must";
            }

            @Override
            public ProbeResult probe() {
                return ProbeResult.unusable("not here", "");
            }

            @Override
            public Instance launch(LaunchSpec spec) {
                throw new UnsupportedOperationException();
            }

            @Override
            public Instance attach(InstanceRecord record) {
                throw new UnsupportedOperationException();
            }
        };
        assertThat(minimal.capability(IncomingLaunch.class)).isEmpty();
        assertThat(minimal.capability(MemoryAccess.Provider.class)).isEmpty();
    }

    @Test
    void incomingLaunchWaitsInIncomingUntilTheStateArrives() {
        FakeBackend b = FakeBackend.full("fake");
        Instance dst = b.capability(IncomingLaunch.class).orElseThrow().launchIncoming(spec("fake", null));
        assertThat(dst.runState()).isEqualTo(RunState.INCOMING);
        Migratable in = dst.capability(Migratable.class).orElseThrow();
        assertThat(in.acceptIncoming("tcp:127.0.0.1:0")).matches("tcp:127\\.0\\.0\\.1:\\d+").isNotEqualTo("tcp:127.0.0.1:0");
        in.awaitIncomingAndResume(Duration.ofSeconds(1));
        assertThat(dst.runState()).isEqualTo(RunState.RUNNING);

        Instance src = b.launch(spec("fake", null));
        src.capability(Migratable.class).orElseThrow().migrate("tcp:127.0.0.1:1", new Migratable.MigrateOptions(
                Duration.ofMillis(300), 0, Duration.ofSeconds(5)));
        assertThat(src.runState()).isEqualTo(RunState.MIGRATED);
    }

    @Test
    void pauseResumeAreRecordedAndFireEvents() {
        FakeBackend b = new FakeBackend("fake", FakeBackend.Feature.PAUSE);
        FakeBackend.FakeInstance inst = (FakeBackend.FakeInstance) b.launch(spec("fake", null));
        List<InstanceListener.Kind> events = new CopyOnWriteArrayList<>();
        inst.addListener((kind, name, data) -> events.add(kind));
        Pausable p = inst.capability(Pausable.class).orElseThrow();
        p.pause();
        assertThat(inst.runState()).isEqualTo(RunState.PAUSED);
        p.resume();
        assertThat(inst.runState()).isEqualTo(RunState.RUNNING);
        assertThat(inst.pauseCount()).isEqualTo(1);
        assertThat(inst.resumeCount()).isEqualTo(1);
        assertThat(events).containsExactly(InstanceListener.Kind.STOPPED, InstanceListener.Kind.RESUMED);

        inst.failNext("pause", new HpcvirtException(ErrorCode.OPERATION_FAILED, "refused"));
        assertThatThrownBy(p::pause).hasMessageContaining("refused");
        assertThat(inst.runState()).isEqualTo(RunState.RUNNING);

        inst.setRunState(RunState.ERROR);
        assertThat(inst.runState()).isEqualTo(RunState.ERROR);
        inst.panic();
        assertThat(inst.runState()).isEqualTo(RunState.PANICKED);
        inst.kill();
        assertThat(inst.runState()).isEqualTo(RunState.EXITED);
        assertThat(events).endsWith(InstanceListener.Kind.GUEST_PANICKED, InstanceListener.Kind.EXITED);
        assertThat(inst.calls()).containsExactly("pause", "resume", "pause", "kill");
        assertThatThrownBy(() -> b.attach(inst.record())).isInstanceOf(HpcvirtException.class)
                .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.NOT_FOUND));
    }

    @Test
    void checkpointWritesTheStateFileAndLeavesTheGuestPaused() throws Exception {
        FakeBackend b = FakeBackend.full("fake");
        Path disk = dir.resolve("disk.qcow2");
        Files.createFile(disk);
        Instance inst = b.launch(spec("fake", disk));
        DiskSnapshots ds = inst.capability(DiskSnapshots.class).orElseThrow();
        Path layer = dir.resolve("layer1.qcow2");
        Path file = dir.resolve("state");
        Checkpointable.SaveResult r = inst.capability(Checkpointable.class).orElseThrow().saveState(file,
                Checkpointable.SaveOptions.paused(), () -> ds.snapshotDisk("data", layer, "l1"), null);
        assertThat(inst.runState()).isEqualTo(RunState.PAUSED);
        assertThat(file).exists();
        assertThat(r.fileBytes()).isEqualTo(Files.size(file)).isPositive();
        assertThat(r.sha256()).hasSize(64);
        assertThat(ds.chain("data")).containsExactly(layer.toString(), disk.toString());
        assertThat(ds.topLayer("data")).isEqualTo(layer);
    }

    @Test
    void memoryAccessStopsTheGuestWhileOpen() {
        FakeBackend b = FakeBackend.full("fake");
        Instance inst = b.launch(spec("fake", null));
        MemoryAccess m = new BackendRegistry(List.of(b)).memoryAccessOf(inst.record()).orElseThrow();
        try (MemoryAccess.Session s = m.open(Duration.ofSeconds(1))) {
            assertThat(inst.runState()).isEqualTo(RunState.PAUSED);
            s.write(0x1000, new byte[] {1, 2});
            assertThat(s.read(0x1000, 3)).containsExactly(1, 2, 0);
            s.writeRegister("rip", 0x42);
            assertThat(s.readRegister("rip")).isEqualTo(0x42);
            assertThatThrownBy(() -> s.readRegister("xmm0")).isInstanceOf(HpcvirtException.class);
        }
        assertThat(inst.runState()).isEqualTo(RunState.RUNNING);
    }

    @Test
    void theRegistryRefusesUnknownBackendsByName() {
        BackendRegistry r = new BackendRegistry(List.of(new FakeBackend("fake")));
        assertThatThrownBy(() -> r.memoryAccessOf(new InstanceRecord("nope", 1, 0, dir))).isInstanceOf(HpcvirtException.class)
                .hasMessageContaining("unknown backend 'nope'").hasMessageContaining("fake");
    }
}
