package org.hpcvirt.bench;

import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.hpcvirt.api.DirectoryTree;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Json;
import org.hpcvirt.backend.Backend;
import org.hpcvirt.backend.BackendRegistry;
import org.hpcvirt.backend.Capability;
import org.hpcvirt.backend.Instance;
import org.hpcvirt.backend.LaunchSpec;
import org.hpcvirt.backend.ProbeResult;
import org.hpcvirt.enclave.IsolationLevel;
import org.hpcvirt.guest.ExecResult;
import org.hpcvirt.guest.GuestChannel;
import org.hpcvirt.guest.Heartbeat;
import org.hpcvirt.guest.Image;
import org.hpcvirt.guest.ImageStore;
import org.hpcvirt.inject.Fault;
import org.hpcvirt.inject.FaultOptions;
import org.hpcvirt.inject.ZoneModel;
import org.hpcvirt.inject.campaign.CampaignResult;
import org.hpcvirt.inject.campaign.CampaignRunner;
import org.hpcvirt.inject.campaign.CampaignSpec;
import org.hpcvirt.inject.campaign.RunRecord;
import org.hpcvirt.profile.VmProfile;

/**
 * The isolation–performance continuum, measured: the same static workloads ({@code hpcvirt-kernels}:
 * cpu, mem, syscall, file I/O) and a relayed message round trip natively on the host and in one small
 * instance (128 MiB, 1 vCPU) of each backend whose probe passes, side by side in one run; then the same
 * E-Zone 3 ({@code kerncrash}) and E-Zone 4 ({@code segfault}) campaign on each backend
 * ({@link CampaignRunner}, snapshot reset where the backend can checkpoint, reboot otherwise). Writes
 * {@code continuum.json}, {@code continuum.md} and {@code continuum.png} into the output directory.
 *
 * <p>Not thread-safe; one {@link #run} at a time. Every instance and process it starts is killed before
 * {@link #run} returns, also on failure.
 */
public final class ContinuumBenchmark {
    /** Where the workload binary sits in the image and in every instance. */
    static final String GUEST_BINARY = "/sbin/hpcvirt-kernels";
    /** The guest agent, which natively answers the round trip as it does in every instance. */
    static final String GUEST_AGENT = "/sbin/hpcvirt-agent";
    private static final Duration BOOT = Duration.ofSeconds(180);
    private static final Duration WORKLOAD = Duration.ofMinutes(10);
    private static final Duration PING = Duration.ofSeconds(10);

    /**
     * What to run.
     *
     * @param backends   backends to compare with native, in order
     * @param runs       runs of each workload per solution
     * @param scale      factor on every workload's work (1.0: ~0.1–0.3 s natively on this project's machines)
     * @param roundTrips round trips per run
     * @param faultRuns  runs per fault per backend × isolation level (0: no campaign)
     * @param isolation  isolation levels of the campaign
     * @param image      image name
     * @param out        output directory
     */
    public record Options(List<String> backends, int runs, double scale, int roundTrips, int faultRuns,
                          List<IsolationLevel> isolation, String image, Path out) {
    }

    private final BackendRegistry registry;
    private final Path images;
    private final Options options;
    private final PrintWriter out;
    private final PrintStream progress;

    /**
     * @param registry backends to draw from
     * @param images   images directory holding {@code options.image()}
     * @param progress where the campaign prints its runs
     */
    public ContinuumBenchmark(BackendRegistry registry, Path images, Options options, PrintWriter out, PrintStream progress) {
        this.registry = registry;
        this.images = images;
        this.options = options;
        this.out = out;
        this.progress = progress;
    }

    /** Work of each workload at {@code scale}. */
    static ContinuumResult.Sizes sizes(double scale, int roundTrips) {
        return new ContinuumResult.Sizes(Math.max(1000, Math.round(40_000_000 * scale)), 8, (int) Math.max(1, Math.round(128 * scale)),
                Math.max(1000, Math.round(2_000_000 * scale)), (int) Math.max(1, Math.round(48 * scale)), roundTrips);
    }

    /** Runs everything, writes the files and prints the table and the ratios. */
    public ContinuumResult run() {
        Instant started = Instant.now();
        Image image = new ImageStore(images).get(options.image());
        ContinuumResult.Sizes sizes = sizes(options.scale(), options.roundTrips());
        Map<String, String> host = new LinkedHashMap<>();
        host.put("cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
        host.put("kernel", System.getProperty("os.version"));
        host.put("guestKernel", image.kernelVersion());
        host.put("loadBefore", BenchHost.loadAverage());
        Path work;
        try {
            Files.createDirectories(options.out());
            work = Files.createTempDirectory(Path.of("/tmp"), "hvc");
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot create " + options.out() + " or a work directory: " + e.getMessage());
        }
        List<ContinuumResult.Solution> solutions = new ArrayList<>();
        List<ContinuumResult.ZoneCell> zones = new ArrayList<>();
        try (BenchCleanup cleanup = new BenchCleanup(out)) {
            // also on Ctrl-C: every process that names the work directory (QEMU, the native agents), then the directory
            cleanup.push("work directory " + work, () -> DirectoryTree.deleteQuietly(work));
            cleanup.push("processes of " + work, () -> BenchHost.kill(-1, work + "/"));
            Path binary = extract(image, GUEST_BINARY, work);
            Path agent = extract(image, GUEST_AGENT, work);
            // native runs before and after the instances, so a change of the machine's load during the benchmark
            // shows in native's samples too instead of only in the backends'
            out.println("native: " + options.runs() + " runs of each workload (as many again at the end) …");
            out.flush();
            NativeSite nativeSite = new NativeSite(binary, agent, Files.createDirectories(work.resolve("n")));
            cleanup.push("native agents", nativeSite::close);
            Samples nativeSamples = measure("native", nativeSite, sizes, new Samples());
            nativeSite.close(); // idle agents would tick beside the instances; the second pass starts them again
            for (String name : options.backends()) {
                Backend b = registry.get(name);
                ProbeResult probe = b.probe();
                host.put("backend " + name, probe.usable() ? probe.version() : "not runnable here");
                if (!probe.usable()) {
                    out.println(name + ": not runnable here: " + probe.reason());
                    solutions.add(new ContinuumResult.Solution(name, "not runnable here: " + probe.reason(), null, false, null, Map.of()));
                    continue;
                }
                out.println(name + ": booting two instances, then " + options.runs() + " runs of each workload …");
                out.flush();
                try (InstanceSite site = new InstanceSite(b, image, Files.createDirectories(work.resolve(name.substring(0, 1))), cleanup)) {
                    solutions.add(solution(name, site, measure(name, site, sizes, new Samples())));
                } catch (HpcvirtException e) {
                    out.println(name + ": failed: " + HpcvirtException.chain(e));
                    solutions.add(new ContinuumResult.Solution(name, "failed: " + HpcvirtException.chain(e), null, false, null, Map.of()));
                }
            }
            out.println("native: " + options.runs() + " more runs of each workload …");
            solutions.add(0, solution("native", nativeSite, measure("native", nativeSite, sizes, nativeSamples)));
            nativeSite.close();
            if (options.faultRuns() > 0) {
                for (String name : options.backends()) {
                    Backend b = registry.get(name);
                    if (b.probe().usable()) {
                        zones.addAll(campaign(b, work.resolve("c")));
                    }
                }
            }
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "continuum benchmark: " + e.getMessage(), e);
        }
        host.put("loadAfter", BenchHost.loadAverage());
        ContinuumResult r = new ContinuumResult(LocalDate.ofInstant(started, ZoneOffset.UTC).toString(), started.toString(), host,
                options.runs(), sizes, solutions, zones);
        write(r);
        return r;
    }

    /**
     * Writes the table, the chart and the JSON of an earlier run into {@code dir} again, without running anything.
     *
     * @throws HpcvirtException INVALID_INPUT if {@code json} is not a continuum.json
     */
    public static ContinuumResult rewrite(Path json, Path dir, PrintWriter out) {
        ContinuumResult r;
        try {
            r = Json.mapper().readValue(json.toFile(), ContinuumResult.class);
        } catch (IOException e) {
            throw HpcvirtException.invalid(json + ": not a continuum.json (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
        if (r == null || r.solutions() == null || r.zones() == null || r.sizes() == null) {
            throw HpcvirtException.invalid(json + ": not a continuum.json (no solutions, zones or sizes)");
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot create " + dir + ": " + e.getMessage());
        }
        new ContinuumBenchmark(null, null, new Options(List.of(), r.runs(), 1, 1, 0, List.of(), "", dir), out, null).write(r);
        return r;
    }

    private void write(ContinuumResult r) {
        try {
            Files.writeString(options.out().resolve("continuum.json"),
                    Json.mapper().copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(r) + "\n");
            String md = ContinuumReport.markdown(r);
            Files.writeString(options.out().resolve("continuum.md"), md);
            ContinuumReport.chart(r, options.out().resolve("continuum.png"));
            out.println();
            out.print(md);
            out.println();
            out.print(ContinuumReport.ratios(r));
            out.println("written: " + options.out().resolve("continuum.md") + ", continuum.json, continuum.png");
            out.flush();
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot write into " + options.out() + ": " + e.getMessage());
        }
    }

    /** Copies {@code path} out of the image's initramfs: natively the very same binaries run. */
    static Path extract(Image image, String path, Path dir) throws IOException {
        String wanted = path.substring(1);
        try (InputStream in = Files.newInputStream(image.initramfs());
             CpioArchiveInputStream cpio = new CpioArchiveInputStream(new GzipCompressorInputStream(in))) {
            CpioArchiveEntry e;
            while ((e = cpio.getNextEntry()) != null) {
                String name = e.getName().startsWith("./") ? e.getName().substring(2) : e.getName();
                if (name.equals(wanted)) {
                    Path target = dir.resolve(Path.of(wanted).getFileName().toString());
                    Files.copy(cpio, target);
                    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwx------"));
                    return target;
                }
            }
        }
        throw new HpcvirtException(ErrorCode.NOT_FOUND, "image '" + image.name() + "' has no " + path
                + " (built before the continuum workloads existed): rebuild it with 'hpcvirt image build " + image.name() + "'");
    }

    /** Connects to an agent's socket, retrying while {@code alive} (the agent creates the socket once it runs). */
    private static GuestChannel connect(Path socket, java.util.function.BooleanSupplier alive, GuestChannel.Listener listener) {
        long deadline = System.nanoTime() + BOOT.toNanos();
        while (true) {
            try {
                return GuestChannel.connect(socket, listener);
            } catch (HpcvirtException e) {
                if (!alive.getAsBoolean() || System.nanoTime() > deadline) {
                    throw e;
                }
                LockSupport.parkNanos(20_000_000L);
            }
        }
    }

    /**
     * {@code n} relayed round trips: a PING to the first agent and, on its answer, to the second; each in µs.
     *
     * @throws HpcvirtException TIMEOUT if an agent does not answer
     */
    private static List<Double> relay(List<GuestChannel> agents, int n, String where) {
        List<Double> us = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            for (GuestChannel c : agents) {
                if (!c.ping(PING)) {
                    throw new HpcvirtException(ErrorCode.TIMEOUT, where + ": an agent did not answer PING within " + PING.toSeconds() + " s");
                }
            }
            us.add((System.nanoTime() - t0) / 1000.0);
        }
        return us;
    }

    /** Where the workloads run: the host, or an instance. */
    private interface Site extends AutoCloseable {
        /** Runs {@code hpcvirt-kernels args} and returns its output; fails on a non-zero exit. */
        String kernels(List<String> args);

        /** Directory the file I/O writes into. */
        String fileDir();

        /** Where that directory is, in words. */
        String fileWhere();

        /** Whether the file I/O goes to a disk-backed file system, as natively. */
        boolean fileCompared();

        /** How the round trip is made, in words. */
        String roundTripHow();

        /** {@code n} round trips, each in µs. */
        List<Double> roundTrips(int n);

        @Override
        void close();
    }

    /** Samples of each workload (seconds; µs for the round trip) and the first checksum of each, gathered over runs. */
    private static final class Samples {
        final Map<String, List<Double>> values = new LinkedHashMap<>();
        final Map<String, String> checksums = new LinkedHashMap<>();
    }

    private Samples measure(String name, Site site, ContinuumResult.Sizes s, Samples into) {
        for (int run = 1; run <= options.runs(); run++) {
            List<List<String>> calls = List.of(List.of("cpu", Long.toString(s.cpuIterations())),
                    List.of("mem", Integer.toString(s.memMib()), Integer.toString(s.memReps())),
                    List.of("syscall", Long.toString(s.syscalls())),
                    List.of("fileio", site.fileDir(), Integer.toString(s.fileMib())));
            for (List<String> call : calls) {
                KernelResult k = KernelResult.parse(site.kernels(call), name);
                into.values.computeIfAbsent(k.kernel(), x -> new ArrayList<>()).add(k.seconds());
                into.checksums.putIfAbsent(k.kernel(), k.checksum());
            }
            into.values.computeIfAbsent("roundtrip", x -> new ArrayList<>()).addAll(site.roundTrips(s.roundTrips()));
        }
        return into;
    }

    private ContinuumResult.Solution solution(String name, Site site, Samples samples) {
        Map<String, ContinuumResult.Measure> w = new LinkedHashMap<>();
        samples.values.forEach((k, xs) -> {
            if (k.equals("roundtrip")) {
                double[] sorted = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
                double p95 = sorted[(int) Math.max(0, Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1))];
                w.put(k, new ContinuumResult.Measure(Stats.median(xs), p95, "µs", List.copyOf(xs), null));
            } else {
                w.put(k, new ContinuumResult.Measure(Stats.median(xs), null, "s", List.copyOf(xs), samples.checksums.get(k)));
            }
        });
        out.printf(java.util.Locale.ROOT, "%s: cpu %.3f s, mem %.3f s, syscall %.3f s, fileio %.3f s, round trip %.0f µs (medians)%n",
                name, w.get("cpu").median(), w.get("mem").median(), w.get("syscall").median(), w.get("fileio").median(),
                w.get("roundtrip").median());
        out.flush();
        return new ContinuumResult.Solution(name, null, site.fileWhere(), site.fileCompared(), site.roundTripHow(), w);
    }

    private List<ContinuumResult.ZoneCell> campaign(Backend b, Path work) {
        boolean snapshot = b.capabilities().has(Capability.CHECKPOINT);
        List<FaultOptions> faults = List.of(new FaultOptions(Fault.KERNCRASH, Map.of()), new FaultOptions(Fault.SEGFAULT, Map.of()));
        CampaignSpec spec = new CampaignSpec("continuum", List.of(b.name()), options.isolation(), faults, options.faultRuns(), 1, 1, 1,
                128L << 20, options.image(), Duration.ofMillis(200), Duration.ofSeconds(2), BOOT, Duration.ofSeconds(30), 10, 200,
                snapshot ? CampaignSpec.Reset.SNAPSHOT : CampaignSpec.Reset.REBOOT);
        out.println(b.name() + ": fault campaign, " + options.faultRuns() + " run(s) of kerncrash and segfault per isolation level, "
                + (snapshot ? "snapshot" : "reboot") + " reset, one bystander …");
        out.flush();
        CampaignResult r = new CampaignRunner(registry, images, work, progress, null).run(spec);
        List<ContinuumResult.ZoneCell> cells = new ArrayList<>();
        for (IsolationLevel iso : options.isolation()) {
            for (FaultOptions f : faults) {
                String refused = r.skipped().stream().filter(s -> s.backend().equals(b.name())
                                && (s.isolation().equals("*") || s.isolation().equals(iso.id()))
                                && (s.fault().equals("*") || s.fault().equals(f.fault().id())))
                        .map(CampaignResult.Skipped::reason).map(x -> x.startsWith("refused: ") ? x.substring(9) : x)
                        .findFirst().orElse(null);
                List<RunRecord> runs = r.records().stream().filter(x -> x.backend().equals(b.name()) && x.isolation().equals(iso.id())
                        && x.fault().equals(f.fault().id())).toList();
                List<RunRecord> done = runs.stream().filter(x -> !x.outcome().equals("broken")).toList();
                int contained = (int) done.stream().filter(x -> x.observedEffect().equals("limited")).count();
                String expected = ZoneModel.disposition(f.fault(), b.name(), iso).effect().id();
                cells.add(new ContinuumResult.ZoneCell(b.name(), iso.id(), f.fault().zone().number(), f.fault().id(), contained,
                        done.size(), runs.size() - done.size(), refused, expected,
                        done.stream().map(RunRecord::observedEffect).toList()));
                runs.stream().filter(x -> x.outcome().equals("broken"))
                        .forEach(x -> out.println("  broken run " + b.name() + "/" + iso.id() + " " + x.fault() + ": " + x.detail()));
            }
        }
        return cells;
    }

    /**
     * The host: the binary run as a process; the round trip relayed between two guest agents run natively in
     * socket mode (as in a container), each in a PID namespace of its own, so that nothing it is told can reach
     * the host's processes.
     */
    private static final class NativeSite implements Site {
        private final Path binary;
        private final Path agent;
        private final Path dir;
        private final List<Process> agents = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final List<GuestChannel> channels = new java.util.concurrent.CopyOnWriteArrayList<>();

        NativeSite(Path binary, Path agent, Path dir) {
            this.binary = binary;
            this.agent = agent;
            this.dir = dir;
        }

        @Override
        public String kernels(List<String> args) {
            List<String> cmd = new ArrayList<>();
            cmd.add(binary.toString());
            cmd.addAll(args);
            try {
                Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
                byte[] o = p.getInputStream().readAllBytes();
                if (!p.waitFor(WORKLOAD.toSeconds(), TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor();
                }
                String s = new String(o, StandardCharsets.UTF_8);
                if (p.exitValue() != 0) {
                    throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "native " + String.join(" ", args) + " exited "
                            + p.exitValue() + ": " + s.strip());
                }
                return s;
            } catch (IOException e) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot run " + binary + ": " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "interrupted");
            }
        }

        @Override
        public String fileDir() {
            return dir.toString();
        }

        @Override
        public String fileWhere() {
            String type;
            try {
                type = Files.getFileStore(dir).type();
            } catch (IOException e) {
                type = "unknown";
            }
            return "the host's " + dir.getParent().getParent() + " (" + type + ")";
        }

        @Override
        public boolean fileCompared() {
            return true;
        }

        @Override
        public String roundTripHow() {
            return "the host relays a PING to agent A and, on its answer, to agent B: the guest agent run natively on the"
                    + " host (socket mode, each in its own PID namespace), over Unix sockets; one round trip ="
                    + " host→A→host→B→host";
        }

        @Override
        public List<Double> roundTrips(int n) {
            if (channels.isEmpty()) {
                try {
                    for (String peer : List.of("a", "b")) {
                        Path sock = dir.resolve("agent-" + peer + ".sock");
                        Files.deleteIfExists(sock);
                        ProcessBuilder pb = new ProcessBuilder("unshare", "--pid", "--fork", "--kill-child", agent.toString())
                                .redirectErrorStream(true).redirectOutput(dir.resolve("agent-" + peer + ".log").toFile())
                                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
                        pb.environment().put("HPCVIRT_AGENT_SOCKET", sock.toString());
                        pb.environment().put("HPCVIRT_HB_MS", "1000");
                        pb.environment().put("HPCVIRT_BOOT_ID", "continuum-native-" + peer);
                        Process p = pb.start();
                        agents.add(p);
                        channels.add(connect(sock, p::isAlive, new GuestChannel.Listener() { }));
                    }
                } catch (IOException | HpcvirtException e) {
                    close();
                    throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot start the native agents (unshare " + agent + "): "
                            + e.getMessage());
                }
            }
            return relay(channels, n, "native");
        }

        @Override
        public void close() {
            for (GuestChannel c : channels) {
                c.close();
            }
            channels.clear();
            for (Process p : agents) {
                p.destroyForcibly();
                p.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(t -> p).join();
            }
            agents.clear();
        }
    }

    /**
     * Two instances of one backend, A and B: workloads run in A through its agent; the round trip is relayed by the
     * host from A's agent channel to B's (there is no guest-to-guest network in hpcvirt profiles).
     */
    private static final class InstanceSite implements Site {
        private final Backend backend;
        private final List<Instance> instances = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final List<GuestChannel> channels = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final boolean disk;

        /** Boots A and B; {@code cleanup} kills them if the JVM ends before {@link #close()}. */
        InstanceSite(Backend backend, Image image, Path dir, BenchCleanup cleanup) {
            this.backend = backend;
            this.disk = backend.capabilities().has(Capability.DATA_DISK);
            cleanup.push(backend.name() + " instances", this::close);
            try {
                List<AtomicLong> beats = new ArrayList<>();
                for (String peer : List.of("a", "b")) {
                    Path runDir = Files.createDirectories(dir.resolve(peer));
                    Path dataDisk = disk ? new ImageStore(image.dir().getParent()).createDataDisk(image, runDir.resolve("data.qcow2"), 1L << 30)
                            : null;
                    VmProfile profile = new VmProfile("continuum-" + peer, backend.name(), 1, 128L << 20,
                            disk ? new VmProfile.Disk(1L << 30) : null, VmProfile.Network.NONE, image.name(), Duration.ofSeconds(1),
                            Duration.ofSeconds(10), List.of(), "", null);
                    Instance inst = backend.launch(new LaunchSpec(profile, runDir, image.kernel(), image.initramfs(), dataDisk, null, false));
                    instances.add(inst);
                    AtomicLong n = new AtomicLong();
                    beats.add(n);
                    channels.add(connect(inst.guestChannelSocket(), inst::isAlive, new GuestChannel.Listener() {
                        @Override
                        public void onHeartbeat(Heartbeat heartbeat) {
                            n.incrementAndGet();
                        }
                    }));
                }
                long deadline = System.nanoTime() + BOOT.toNanos();
                for (int i = 0; i < instances.size(); i++) {
                    while (beats.get(i).get() == 0) {
                        if (!instances.get(i).isAlive()) {
                            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, backend.name() + " instance exited during boot");
                        }
                        if (System.nanoTime() > deadline) {
                            throw new HpcvirtException(ErrorCode.TIMEOUT, backend.name() + ": no heartbeat within " + BOOT.toSeconds() + " s");
                        }
                        LockSupport.parkNanos(20_000_000L);
                    }
                }
            } catch (IOException e) {
                close();
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot prepare " + dir + ": " + e.getMessage());
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        @Override
        public String kernels(List<String> args) {
            List<String> argv = new ArrayList<>();
            argv.add(GUEST_BINARY);
            argv.addAll(args);
            ExecResult r = channels.get(0).exec(argv, WORKLOAD);
            if (r.exitCode() != 0) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, backend.name() + ": " + String.join(" ", args) + " exited "
                        + r.exitCode() + ": " + r.output().strip());
            }
            return r.output();
        }

        @Override
        public String fileDir() {
            return disk ? "/data" : "/tmp";
        }

        @Override
        public String fileWhere() {
            return disk ? "the data disk (/data: ext4 on virtio-blk, a qcow2 overlay on the host's file system)"
                    : "the instance's own file system (/tmp, a tmpfs in RAM): " + backend.name() + " has no data disk";
        }

        @Override
        public boolean fileCompared() {
            return disk;
        }

        @Override
        public String roundTripHow() {
            return "the host relays a message to instance A's agent (PING on its channel) and, on its answer, to instance B's;"
                    + " one round trip = host→A→host→B→host (profiles have no guest-to-guest network)";
        }

        @Override
        public List<Double> roundTrips(int n) {
            return relay(channels, n, backend.name());
        }

        @Override
        public void close() {
            for (GuestChannel c : channels) {
                c.close();
            }
            channels.clear();
            List<Instance> all = List.copyOf(instances);
            instances.clear();
            for (Instance i : all) {
                try {
                    i.kill();
                } catch (RuntimeException e) {
                    // already gone
                } finally {
                    i.close();
                }
            }
        }
    }
}
