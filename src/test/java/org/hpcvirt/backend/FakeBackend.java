package org.hpcvirt.backend;

import org.hpcvirt.backend.Capabilities;
import org.hpcvirt.backend.Capability;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/**
 * An in-memory backend for unit tests: no process, no VMM. Its {@link FakeInstance}s have a run
 * state the test sets ({@link FakeInstance#setRunState}), record every call made to them
 * ({@link FakeInstance#calls()}), fire {@link InstanceListener} events on demand
 * ({@link FakeInstance#fire}), and offer the capabilities the backend was built with
 * ({@link Feature}); any operation can be made to fail once ({@link FakeInstance#failNext}).
 * Capabilities behave like QEMU's as the SPI describes them (a pause fires STOPPED, a save leaves
 * the guest PAUSED and writes a small state file, a migration leaves the source MIGRATED, …).
 * Thread-safe.
 *
 * <p>Pids are made up (from {@link #FIRST_PID}, above Linux's largest pid), so
 * {@link ProcessInfo} never finds them.
 */
public final class FakeBackend implements Backend {
    /** What a fake backend and its instances can do besides the core SPI. */
    public enum Feature {
        /** Instances offer {@link Pausable}. */
        PAUSE,
        /** Instances offer {@link Checkpointable} (writes a small state file). */
        CHECKPOINT,
        /** Instances offer {@link DiskSnapshots} (empty layer files, chain kept in memory). */
        DISK_SNAPSHOTS,
        /** Instances offer {@link Migratable}. */
        MIGRATE,
        /** Instances offer {@link MemoryAccess} (sparse in-memory guest RAM and registers); the backend a {@link MemoryAccess.Provider}. */
        MEMORY_ACCESS,
        /** The backend offers {@link IncomingLaunch}. */
        INCOMING_LAUNCH
    }

    /** The first made-up pid: above Linux's largest possible pid (2^22). */
    public static final long FIRST_PID = (1L << 22) + 1;

    private final String name;
    private final Set<Feature> features;
    private final AtomicLong pids = new AtomicLong(FIRST_PID);
    private final List<FakeInstance> instances = new CopyOnWriteArrayList<>();
    private final Map<String, RuntimeException> failNext = new ConcurrentHashMap<>();
    private volatile ProbeResult probe = ProbeResult.ok("fake-1");
    private final Map<String, String> lacking = new ConcurrentHashMap<>();

    /** A backend named {@code name} with the given features (none: only the core SPI). */
    public FakeBackend(String name, Feature... features) {
        this.name = name;
        this.features = features.length == 0 ? EnumSet.noneOf(Feature.class) : EnumSet.copyOf(List.of(features));
    }

    /** A backend with every feature. */
    public static FakeBackend full(String name) {
        return new FakeBackend(name, Feature.values());
    }

    /**
     * Makes {@link #capabilities()} mark the cell of {@code capability} (an SPI interface's simple
     * name, e.g. {@code Migratable}) absent with {@code why}; the instances keep their features.
     */
    public void lack(String capability, String why) {
        lacking.put(capability, why);
    }

    /** Every cell present (the fake's instances offer what their features say), except what {@link #lack} took away. */
    @Override
    public Capabilities capabilities() {
        Capabilities c = Capabilities.all();
        for (Map.Entry<String, String> e : lacking.entrySet()) {
            try {
                c = c.without(Capability.of(Class.forName("org.hpcvirt.backend." + e.getKey())), e.getValue());
            } catch (ClassNotFoundException ex) {
                throw new IllegalArgumentException("no SPI interface " + e.getKey(), ex);
            }
        }
        return c;
    }

    public boolean has(Feature f) {
        return features.contains(f);
    }

    /** What {@link #probe()} answers from now on; a launch is refused while it is unusable. */
    public void setProbe(ProbeResult p) {
        probe = p;
    }

    /** Makes the next {@code launch} (or {@code launchIncoming}, or {@code attach}) throw {@code e}. */
    public void failNext(String operation, RuntimeException e) {
        failNext.put(operation, e);
    }

    /** Every instance launched so far, oldest first. */
    public List<FakeInstance> instances() {
        return List.copyOf(instances);
    }

    /** The latest instance launched. */
    public FakeInstance last() {
        if (instances.isEmpty()) {
            throw new IllegalStateException("nothing launched on " + name);
        }
        return instances.get(instances.size() - 1);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String description() {
        return "in-memory fake backend (tests)";
    }

    @Override
    public ProbeResult probe() {
        return probe;
    }

    @Override
    public Instance launch(LaunchSpec spec) {
        if (spec.incoming() != null && spec.incomingSha256() != null) {
            // the SPI's contract: a state file that differs from its checksum fails the launch before the guest ran
            String actual;
            try {
                actual = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                        .digest(java.nio.file.Files.readAllBytes(spec.incoming())));
            } catch (java.io.IOException | java.security.NoSuchAlgorithmException e) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot read " + spec.incoming(), e);
            }
            if (!actual.equals(spec.incomingSha256())) {
                throw new HpcvirtException(ErrorCode.REFUSED, "state file " + spec.incoming() + " has SHA-256 " + actual
                        + ", expected " + spec.incomingSha256());
            }
        }
        RunState initial = spec.incoming() != null ? (spec.startPaused() ? RunState.PAUSED : RunState.RUNNING)
                : spec.startPaused() ? RunState.INCOMING : RunState.RUNNING;
        return start("launch", spec, initial);
    }

    private FakeInstance start(String operation, LaunchSpec spec, RunState initial) {
        RuntimeException f = failNext.remove(operation);
        if (f != null) {
            throw f;
        }
        if (!probe.usable()) {
            throw new HpcvirtException(ErrorCode.BACKEND_UNAVAILABLE, "backend '" + name + "' cannot run here: " + probe.reason());
        }
        FakeInstance inst = new FakeInstance(new InstanceRecord(name, pids.getAndIncrement(), 0, spec.runDir()), spec, initial);
        instances.add(inst);
        return inst;
    }

    /** The instance launched with the record's pid, open again; NOT_FOUND if there is none or it was killed. */
    @Override
    public Instance attach(InstanceRecord record) {
        RuntimeException f = failNext.remove("attach");
        if (f != null) {
            throw f;
        }
        for (FakeInstance i : instances) {
            if (i.record.pid() == record.pid() && i.isAlive()) {
                i.closed.set(false);
                i.attaches.incrementAndGet();
                return i;
            }
        }
        throw new HpcvirtException(ErrorCode.NOT_FOUND, "fake instance pid " + record.pid() + " is gone");
    }

    @Override
    public <T> Optional<T> capability(Class<T> type) {
        if (type == IncomingLaunch.class && has(Feature.INCOMING_LAUNCH)) {
            IncomingLaunch il = spec -> start("launchIncoming", spec, RunState.INCOMING);
            return Optional.of(type.cast(il));
        }
        if (type == MemoryAccess.Provider.class && has(Feature.MEMORY_ACCESS)) {
            MemoryAccess.Provider p = record -> instances.stream().filter(i -> i.record.pid() == record.pid()).findFirst()
                    .flatMap(i -> i.capability(MemoryAccess.class))
                    .orElseThrow(() -> new HpcvirtException(ErrorCode.NOT_FOUND, "no fake instance pid " + record.pid()));
            return Optional.of(type.cast(p));
        }
        return Optional.empty();
    }

    /** One fake guest. Its state and call log are visible to the test; see {@link FakeBackend}. */
    public final class FakeInstance implements Instance {
        private final InstanceRecord record;
        private final LaunchSpec spec;
        private volatile RunState state;
        private final AtomicBoolean alive = new AtomicBoolean(true);
        private final AtomicBoolean closed = new AtomicBoolean();
        private final AtomicInteger attaches = new AtomicInteger();
        private final AtomicInteger pauses = new AtomicInteger();
        private final AtomicInteger resumes = new AtomicInteger();
        private final List<String> calls = new CopyOnWriteArrayList<>();
        private final List<InstanceListener> listeners = new CopyOnWriteArrayList<>();
        /** An incoming instance that the backend's own protocol resumed on arrival (as libvirt does); set by tests. */
        public volatile boolean runsOnArrival;
        private final Map<String, RuntimeException> failNext = new ConcurrentHashMap<>();
        private final Map<Class<?>, Object> capabilities = new HashMap<>();
        /** Disk layers by drive, top first. */
        private final Map<String, List<Path>> chains = new ConcurrentHashMap<>();
        private final Map<String, Path> prepared = new ConcurrentHashMap<>();
        private final Map<Long, Byte> memory = new ConcurrentHashMap<>();
        private final Map<String, Long> registers = new ConcurrentHashMap<>();
        private final AtomicInteger saves = new AtomicInteger();

        FakeInstance(InstanceRecord record, LaunchSpec spec, RunState initial) {
            this.record = record;
            this.spec = spec;
            this.state = initial;
            if (spec.dataDisk() != null) {
                chains.put("data", new CopyOnWriteArrayList<>(List.of(spec.dataDisk())));
            }
            if (has(Feature.PAUSE)) {
                capabilities.put(Pausable.class, new FakePausable());
            }
            if (has(Feature.CHECKPOINT)) {
                capabilities.put(Checkpointable.class, new FakeCheckpointable());
            }
            if (has(Feature.DISK_SNAPSHOTS)) {
                capabilities.put(DiskSnapshots.class, new FakeDiskSnapshots());
            }
            if (has(Feature.MIGRATE)) {
                capabilities.put(Migratable.class, new FakeMigratable());
            }
            if (has(Feature.MEMORY_ACCESS)) {
                capabilities.put(MemoryAccess.class, new FakeMemoryAccess());
            }
        }

        /** The spec it was launched with. */
        public LaunchSpec spec() {
            return spec;
        }

        /** Sets what {@link #runState()} answers while the instance is alive. */
        public void setRunState(RunState s) {
            state = s;
        }

        /** Every call made to the instance and its capabilities, in order, e.g. {@code pause}, {@code saveState /x/state}. */
        public List<String> calls() {
            return List.copyOf(calls);
        }

        public int pauseCount() {
            return pauses.get();
        }

        public int resumeCount() {
            return resumes.get();
        }

        /** How many times it was handed out again by {@link FakeBackend#attach}. */
        public int attachCount() {
            return attaches.get();
        }

        public boolean isClosed() {
            return closed.get();
        }

        /** Makes the next call of {@code operation} (a name as in {@link #calls()}: pause, resume, saveState, …) throw {@code e}. */
        public void failNext(String operation, RuntimeException e) {
            failNext.put(operation, e);
        }

        /** Delivers an event to every listener on the calling thread, as the VMM's event thread would. */
        public void fire(InstanceListener.Kind kind, String name, Map<String, Object> data) {
            for (InstanceListener l : listeners) {
                try {
                    l.onEvent(kind, name, data);
                } catch (RuntimeException e) {
                    // like QemuInstance: one faulty listener must not hide events from the others
                }
            }
        }

        /** The guest kernel panics: PANICKED and a GUEST_PANICKED event. */
        public void panic() {
            state = RunState.PANICKED;
            fire(InstanceListener.Kind.GUEST_PANICKED, "GUEST_PANICKED", Map.of("action", "pause"));
        }

        /** The process ends by itself: EXITED (once) with {@code exitCode}. */
        public void exit(int exitCode) {
            if (alive.compareAndSet(true, false)) {
                fire(InstanceListener.Kind.EXITED, "EXITED", Map.of("pid", record.pid(), "exitCode", exitCode));
            }
        }

        private void call(String operation, String detail) {
            calls.add(detail == null ? operation : operation + " " + detail);
            RuntimeException f = failNext.remove(operation);
            if (f != null) {
                throw f;
            }
        }

        private void stopped(RunState now) {
            boolean wasRunning = state == RunState.RUNNING;
            state = now;
            if (wasRunning) {
                fire(InstanceListener.Kind.STOPPED, "STOP", Map.of());
            }
        }

        private void running() {
            boolean was = state == RunState.RUNNING;
            state = RunState.RUNNING;
            if (!was) {
                fire(InstanceListener.Kind.RESUMED, "RESUME", Map.of());
            }
        }

        @Override
        public InstanceRecord record() {
            return record;
        }

        @Override
        public long pid() {
            return record.pid();
        }

        @Override
        public boolean isAlive() {
            return alive.get();
        }

        @Override
        public Path guestChannelSocket() {
            return record.runDir().resolve("agent.sock");
        }

        @Override
        public Path consoleLog() {
            return record.runDir().resolve("console.log");
        }

        @Override
        public RunState runState() {
            return alive.get() ? state : RunState.EXITED;
        }

        /** Records the call; what the guest then does is the test's business (fire SHUTDOWN, {@link #exit}). */
        @Override
        public void powerdown() {
            call("powerdown", null);
        }

        @Override
        public void kill() {
            calls.add("kill");
            exit(-1);
        }

        @Override
        public void addListener(InstanceListener listener) {
            listeners.add(listener);
        }

        @Override
        public <T> Optional<T> capability(Class<T> type) {
            return Optional.ofNullable(capabilities.get(type)).map(type::cast);
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                calls.add("close");
            }
        }

        private final class FakePausable implements Pausable {
            @Override
            public void pause() {
                call("pause", null);
                pauses.incrementAndGet();
                stopped(RunState.PAUSED);
            }

            @Override
            public void resume() {
                call("resume", null);
                resumes.incrementAndGet();
                running();
            }
        }

        private final class FakeCheckpointable implements Checkpointable {
            @Override
            public SaveResult saveState(Path file, SaveOptions options) {
                return saveState(file, options, null, null);
            }

            @Override
            public SaveResult saveState(Path file, SaveOptions options, Runnable atSwitchover) {
                return saveState(file, options, atSwitchover, null);
            }

            /** Stops the vCPUs, runs the hooks, writes a small state file; leaves the guest PAUSED. */
            @Override
            public SaveResult saveState(Path file, SaveOptions options, Runnable atSwitchover, Runnable atCompletion) {
                call("saveState", file.toString());
                stopped(RunState.PAUSED);
                if (atSwitchover != null) {
                    atSwitchover.run();
                }
                byte[] content = ("fake state of " + spec.profile().name() + " pid " + record.pid() + " save "
                        + saves.incrementAndGet() + "\n").getBytes(StandardCharsets.UTF_8);
                try {
                    Files.write(file, content);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                if (atCompletion != null) {
                    atCompletion.run();
                }
                return new SaveResult(content.length, 1, 1, content.length, sha256(content), -1, Map.of());
            }
        }

        private final class FakeDiskSnapshots implements DiskSnapshots {
            private List<Path> chain(String drive, boolean create) {
                List<Path> c = create ? chains.computeIfAbsent(drive, d -> new CopyOnWriteArrayList<>()) : chains.get(drive);
                if (c == null || c.isEmpty()) {
                    throw new HpcvirtException(ErrorCode.NOT_FOUND, "drive '" + drive + "' not found in fake pid " + record.pid());
                }
                return c;
            }

            /** Creates {@code newTop} (empty) unless it was prepared, and makes it the top layer. */
            @Override
            public void snapshotDisk(String drive, Path newTop, String nodeName) {
                call("snapshotDisk", drive + " " + newTop + " " + nodeName);
                List<Path> c = chain(drive, false);
                if (prepared.remove(nodeName) == null) {
                    touch(newTop);
                }
                c.add(0, newTop);
            }

            @Override
            public void prepareSnapshot(String drive, Path newTop, String nodeName) {
                call("prepareSnapshot", drive + " " + newTop + " " + nodeName);
                chain(drive, false);
                touch(newTop);
                prepared.put(nodeName, newTop);
            }

            @Override
            public void discardPrepared(String nodeName, Path newTop) {
                calls.add("discardPrepared " + nodeName + " " + newTop);
                if (prepared.remove(nodeName) != null) {
                    try {
                        Files.deleteIfExists(newTop);
                    } catch (IOException e) {
                        // never throws, as the SPI says
                    }
                }
            }

            /** The chain becomes top ← {@code backingName} ← the layers under {@code baseFile}. */
            @Override
            public void flatten(String drive, String baseFile, Path backingName, Duration timeout) {
                call("flatten", drive + " " + baseFile + " " + backingName);
                List<Path> c = chain(drive, false);
                int base = -1;
                for (int i = 0; i < c.size(); i++) {
                    if (c.get(i).toString().equals(baseFile)) {
                        base = i;
                    }
                }
                if (base < 1) {
                    throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "'" + baseFile + "' is not under the top layer of " + drive);
                }
                List<Path> now = new ArrayList<>();
                now.add(c.get(0));
                now.add(backingName);
                now.addAll(c.subList(base + 1, c.size()));
                c.clear();
                c.addAll(now);
            }

            @Override
            public List<String> chain(String drive) {
                return chain(drive, false).stream().map(Path::toString).toList();
            }

            @Override
            public Path topLayer(String drive) {
                return chain(drive, false).get(0);
            }
        }

        private final class FakeMigratable implements Migratable {
            private final AtomicInteger ports = new AtomicInteger(49152);

            /** The source ends MIGRATED (paused, the state sent away). */
            @Override
            public Checkpointable.SaveResult migrate(String uri, MigrateOptions options) {
                call("migrate", uri);
                stopped(RunState.MIGRATED);
                return new Checkpointable.SaveResult(1 << 20, 10, 1);
            }

            /** Port 0 becomes a made-up port. */
            @Override
            public String acceptIncoming(String uri, int channels) {
                call("acceptIncoming", uri + " " + channels);
                return uri.startsWith("tcp:") && uri.endsWith(":0") ? uri.substring(0, uri.length() - 1) + ports.getAndIncrement() : uri;
            }

            @Override
            public void awaitIncomingAndResume(Duration timeout) {
                call("awaitIncomingAndResume", null);
                running();
            }

            /** What {@link FakeInstance#runsOnArrival} says: a backend whose protocol resumes the guest itself. */
            @Override
            public boolean arrivedRunning() {
                return runsOnArrival;
            }

            /** Nothing streams in the fake: COMPLETED if the state was sent ({@link RunState#MIGRATED}), else NONE. */
            @Override
            public Outgoing cancelOutgoing(Duration timeout) {
                call("cancelOutgoing", null);
                return state == RunState.MIGRATED ? Outgoing.COMPLETED : Outgoing.NONE;
            }
        }

        private final class FakeMemoryAccess implements MemoryAccess {
            /** Stops the vCPUs (PAUSED) until closed, then puts back the state it found. */
            @Override
            public Session open(Duration timeout) {
                call("memory.open", null);
                RunState before = state;
                stopped(RunState.PAUSED);
                return new Session() {
                    private boolean open = true;

                    @Override
                    public byte[] read(long physAddr, int length) {
                        byte[] out = new byte[length];
                        for (int i = 0; i < length; i++) {
                            out[i] = memory.getOrDefault(physAddr + i, (byte) 0);
                        }
                        return out;
                    }

                    @Override
                    public void write(long physAddr, byte[] data) {
                        calls.add("memory.write " + Long.toHexString(physAddr) + " " + HexFormat.of().formatHex(data));
                        for (int i = 0; i < data.length; i++) {
                            memory.put(physAddr + i, data[i]);
                        }
                    }

                    private String known(String name) {
                        if (!X86_64_REGISTERS.contains(name)) {
                            throw HpcvirtException.invalid("unknown register '" + name + "'");
                        }
                        return name;
                    }

                    @Override
                    public long readRegister(String name) {
                        return registers.getOrDefault(known(name), 0L);
                    }

                    @Override
                    public void writeRegister(String name, long value) {
                        calls.add("memory.writeRegister " + name + " " + Long.toHexString(value));
                        registers.put(known(name), value);
                    }

                    @Override
                    public void close() {
                        if (open) {
                            open = false;
                            calls.add("memory.close");
                            if (before == RunState.RUNNING) {
                                running();
                            } else {
                                state = before;
                            }
                        }
                    }
                };
            }
        }
    }

    private static void touch(Path p) {
        try {
            Files.createDirectories(p.toAbsolutePath().getParent());
            Files.createFile(p);
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot create layer " + p, e);
        }
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
