package org.hpcvirt.inject.campaign;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import org.hpcvirt.api.DaemonThreads;
import org.hpcvirt.api.DirectoryTree;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.backend.Backend;
import org.hpcvirt.backend.Capability;
import org.hpcvirt.backend.BackendRegistry;
import org.hpcvirt.backend.Checkpointable;
import org.hpcvirt.backend.Instance;
import org.hpcvirt.backend.LaunchSpec;
import org.hpcvirt.backend.ProbeResult;
import org.hpcvirt.enclave.IsolationLevel;
import org.hpcvirt.guest.GuestChannel;
import org.hpcvirt.guest.Image;
import org.hpcvirt.guest.ImageStore;
import org.hpcvirt.inject.ChecksumWorkload;
import org.hpcvirt.inject.Fault;
import org.hpcvirt.inject.FaultOptions;
import org.hpcvirt.inject.Injection;
import org.hpcvirt.inject.InjectionContext;
import org.hpcvirt.inject.InjectorCatalog;
import org.hpcvirt.inject.ZoneModel;
import org.hpcvirt.profile.VmProfile;

/**
 * Runs a {@link CampaignSpec} in-process through the Backend SPI. Per backend × isolation level it boots
 * one victim, records the golden workload result if soft errors are asked for, saves its state once
 * ({@link Checkpointable#saveState}) and kills it; every run then starts a fresh VMM from that state
 * ({@link LaunchSpec#incoming()}, ~0.4 s) instead of rebooting, injects, observes and kills it. Bystander
 * VMs boot once per backend × isolation level and run throughout. Runs go {@code parallelism} at a time.
 * A run whose VMM does not come up is recorded as {@link Outcome#BROKEN} and the campaign goes on; a
 * backend whose probe fails and a refused fault are recorded as skipped cells.
 *
 * With {@link CampaignSpec.Reset#REBOOT} every run boots a fresh VMM instead (the benchmark's baseline).
 *
 * <p>Not thread-safe: one {@link #run} at a time. Every VMM it starts is killed before {@link #run}
 * returns, also on failure.
 */
public final class CampaignRunner {
    private static final Duration CHANNEL_READY = Duration.ofSeconds(15);
    private static final Duration DETECTION_GRACE = Duration.ofMillis(300);

    private final BackendRegistry registry;
    private final Path images;
    private final Path work;
    private final PrintStream out;
    private final BooleanSupplier daemonAnswering;
    private final List<Instance> live = Collections.synchronizedList(new ArrayList<>());
    private long runPhaseNanos;

    /**
     * @param registry        backends to draw from
     * @param images          images directory (the campaign's image must exist there)
     * @param work            a short private directory for run directories and state files (Unix socket paths
     *                        must stay under 108 bytes); created if missing
     * @param out             progress output
     * @param daemonAnswering containment check of a node daemon, or null if none is involved
     */
    public CampaignRunner(BackendRegistry registry, Path images, Path work, PrintStream out, BooleanSupplier daemonAnswering) {
        this.registry = registry;
        this.images = images;
        this.work = work;
        this.out = out;
        this.daemonAnswering = daemonAnswering;
    }

    /**
     * Runs the campaign.
     *
     * @throws HpcvirtException NOT_FOUND if the image is missing; INVALID_INPUT if a backend name is unknown
     */
    public CampaignResult run(CampaignSpec spec) {
        Instant started = Instant.now();
        Image image = new ImageStore(images).get(spec.image());
        List<Backend> backends = new ArrayList<>();
        if (spec.backends().contains("all")) {
            backends.addAll(registry.all());
        }
        for (String b : spec.backends()) {
            if (!b.equals("all") && backends.stream().noneMatch(x -> x.name().equals(b))) {
                backends.add(registry.get(b));
            }
        }
        List<RunRecord> records = Collections.synchronizedList(new ArrayList<>());
        List<CampaignResult.Skipped> skipped = new ArrayList<>();
        Map<String, String> golden = new LinkedHashMap<>();
        Map<String, String> host = new LinkedHashMap<>();
        host.put("cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
        host.put("kernel", System.getProperty("os.version"));
        host.put("guestKernel", image.kernelVersion());
        int total = 0;
        for (Backend b : backends) {
            for (IsolationLevel iso : spec.isolation()) {
                for (FaultOptions f : spec.faults()) {
                    if (b.probe().usable() && snapshotProblem(spec, b) == null
                            && ZoneModel.disposition(f.fault(), b.name(), iso).injectable() && lacking(f.fault(), b) == null) {
                        total += spec.runs();
                    }
                }
            }
        }
        try (Progress progress = new Progress(out, spec.name(), total)) {
            Files.createDirectories(work);
            for (Backend b : backends) {
                ProbeResult probe = b.probe();
                host.put("backend " + b.name(), probe.usable() ? "ok " + probe.version() : probe.reason());
                if (!probe.usable()) {
                    skipped.add(new CampaignResult.Skipped(b.name(), "*", "*", 0, "not runnable here: " + probe.reason()));
                    progress.line("backend " + b.name() + ": not runnable here: " + probe.reason());
                    continue;
                }
                String snapshot = snapshotProblem(spec, b);
                if (snapshot != null) {
                    skipped.add(new CampaignResult.Skipped(b.name(), "*", "*", 0, "not runnable: " + snapshot));
                    progress.line("backend " + b.name() + ": not runnable: " + snapshot);
                    continue;
                }
                for (IsolationLevel iso : spec.isolation()) {
                    List<FaultOptions> runnable = new ArrayList<>();
                    for (FaultOptions f : spec.faults()) {
                        ZoneModel.Disposition d = ZoneModel.disposition(f.fault(), b.name(), iso);
                        String lacking = lacking(f.fault(), b);
                        if (lacking != null) {
                            skipped.add(new CampaignResult.Skipped(b.name(), iso.id(), f.fault().id(), f.fault().zone().number(),
                                    "refused: " + lacking));
                        } else if (d.injectable()) {
                            runnable.add(f);
                        } else {
                            skipped.add(new CampaignResult.Skipped(b.name(), iso.id(), f.fault().id(), f.fault().zone().number(),
                                    "refused: " + d.reason() + " (effect " + d.effect().id() + ")"));
                        }
                    }
                    if (!runnable.isEmpty()) {
                        runCell(spec, b, iso, image, runnable, records, golden, progress);
                    }
                }
            }
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "campaign work directory " + work, e);
        } finally {
            synchronized (live) {
                for (Instance i : live) {
                    killQuietly(i);
                }
                live.clear();
            }
        }
        List<RunRecord> sorted = new ArrayList<>(records);
        List<String> backendOrder = backends.stream().map(Backend::name).toList();
        List<String> isolationOrder = spec.isolation().stream().map(IsolationLevel::id).toList();
        sorted.sort(Comparator.comparingInt((RunRecord r) -> backendOrder.indexOf(r.backend()))
                .thenComparingInt(r -> isolationOrder.indexOf(r.isolation()))
                .thenComparing(r -> spec.faults().stream().map(f -> f.fault().id()).toList().indexOf(r.fault()))
                .thenComparingInt(RunRecord::run));
        return new CampaignResult(spec.name(), started.toString(), Duration.between(started, Instant.now()).toMillis(),
                runPhaseNanos / 1_000_000, List.copyOf(sorted), List.copyOf(skipped), golden, host);
    }

    /** One backend × isolation level: boot, golden, snapshot, bystanders, then every run of every fault. */
    private void runCell(CampaignSpec spec, Backend backend, IsolationLevel iso, Image image, List<FaultOptions> faults,
                         List<RunRecord> records, Map<String, String> golden, Progress progress) throws IOException {
        String cell = backend.name() + "/" + iso.id();
        Path cellDir = Files.createDirectories(work.resolve(backend.name().charAt(0) + iso.id().substring(0, 1)));
        Path state = cellDir.resolve("victim.state");
        List<Bystander> bystanders = new ArrayList<>();
        Duration workloadTimeout = spec.runTimeout();
        try {
            for (int i = 0; i < spec.bystanders(); i++) {
                Bystander by = new Bystander("bystander-" + (i + 1), spec.heartbeatTimeout());
                Instance inst = launch(backend, profile(spec, backend, by.name()), image, cellDir.resolve("b" + i), null);
                by.attach(inst, connect(inst, by, spec.bootTimeout()));
                bystanders.add(by);
            }
            progress.line(cell + ": booting the victim and saving its state");
            Instance base = launch(backend, profile(spec, backend, "victim"), image, cellDir.resolve("base"), null);
            RunObserver bootWatch = new RunObserver(base.consoleLog(), spec.heartbeatTimeout());
            try (GuestChannel ch = connect(base, bootWatch, spec.bootTimeout())) {
                awaitHeartbeat(bootWatch, spec.bootTimeout(), "victim boot on " + cell, base);
                if (faults.stream().anyMatch(f -> f.fault().isSoftError())) {
                    VictimTarget t = new VictimTarget("victim", backend.name(), base, ch, spec.memoryBytes());
                    ChecksumWorkload.Outcome g = ChecksumWorkload.golden(t, spec.workloadRounds(), spec.runTimeout());
                    golden.put(cell, g.result());
                    workloadTimeout = Duration.ofMillis(Math.max(5000, g.elapsedMs() * spec.hangFactor()));
                    progress.line(cell + ": golden checksum " + g.result() + " in " + g.elapsedMs() + " ms");
                }
                if (spec.reset() == CampaignSpec.Reset.SNAPSHOT) {
                    Checkpointable cp = base.capability(Checkpointable.class).orElseThrow(() -> new HpcvirtException(
                            ErrorCode.BACKEND_UNAVAILABLE, "backend " + backend.name() + " cannot save state (no snapshot reset)"));
                    cp.saveState(state, Checkpointable.SaveOptions.paused());
                }
            } finally {
                bootWatch.close();
                killQuietly(base);
                live.remove(base);
            }
            for (Bystander by : bystanders) {
                awaitBystander(by, spec.bootTimeout());
            }
            BlockingQueue<Integer> slots = new ArrayBlockingQueue<>(spec.parallelism());
            for (int s = 0; s < spec.parallelism(); s++) {
                slots.add(s);
            }
            ExecutorService pool = Executors.newFixedThreadPool(spec.parallelism(), DaemonThreads.named("campaign-run"));
            List<Future<?>> futures = new ArrayList<>();
            long phaseStart = System.nanoTime();
            Duration wlTimeout = workloadTimeout;
            String gold = golden.get(cell);
            for (FaultOptions f : faults) {
                for (int run = 1; run <= spec.runs(); run++) {
                    int runNo = run;
                    long seed = spec.seed() * 1_000_003L + (long) f.fault().ordinal() * 10_007L + run;
                    futures.add(pool.submit(() -> {
                        int slot = slots.take();
                        try {
                            // java.util.Random's first draws are correlated for neighbouring seeds: mix the seed first
                            Random random = new Random(new SplittableRandom(seed).nextLong());
                            RunRecord r = runOnce(spec, backend, iso, image, f, runNo, cellDir.resolve("s" + slot), state,
                                    bystanders, new InjectionContext(random, spec.workloadRounds(), wlTimeout), gold);
                            records.add(r);
                            progress.step(r);
                        } finally {
                            slots.add(slot);
                        }
                        return null;
                    }));
                }
            }
            pool.shutdown();
            for (Future<?> fu : futures) {
                try {
                    fu.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new HpcvirtException(ErrorCode.INTERNAL, "campaign run failed unexpectedly", e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    pool.shutdownNow();
                    throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "campaign interrupted", e);
                }
            }
            runPhaseNanos += System.nanoTime() - phaseStart;
        } catch (HpcvirtException e) {
            // the cell could not be set up: every run of it is broken, the campaign goes on
            for (FaultOptions f : faults) {
                for (int run = 1; run <= spec.runs(); run++) {
                    RunRecord r = broken(spec, backend, iso, f.fault(), run, "cell set-up failed: " + HpcvirtException.chain(e), 0);
                    if (records.stream().noneMatch(x -> x.backend().equals(r.backend()) && x.isolation().equals(r.isolation())
                            && x.fault().equals(r.fault()) && x.run() == r.run())) {
                        records.add(r);
                        progress.step(r);
                    }
                }
            }
        } finally {
            for (Bystander by : bystanders) {
                by.stop();
            }
            DirectoryTree.deleteQuietly(cellDir);
        }
    }

    private RunRecord runOnce(CampaignSpec spec, Backend backend, IsolationLevel iso, Image image, FaultOptions f, int run,
                              Path runDir, Path state, List<Bystander> bystanders, InjectionContext ctx, String golden) {
        long t0 = System.nanoTime();
        Fault fault = f.fault();
        Instance inst;
        try {
            inst = launch(backend, profile(spec, backend, "victim"), image, runDir,
                    spec.reset() == CampaignSpec.Reset.SNAPSHOT ? state : null);
        } catch (HpcvirtException e) {
            return broken(spec, backend, iso, fault, run, "VMM did not start"
                    + (spec.reset() == CampaignSpec.Reset.SNAPSHOT ? " from the snapshot: " : ": ") + HpcvirtException.chain(e), t0);
        }
        RunObserver obs = new RunObserver(inst.consoleLog(), spec.heartbeatTimeout());
        inst.addListener(obs);
        GuestChannel ch = null;
        try {
            ch = connect(inst, obs, spec.bootTimeout());
            try {
                awaitHeartbeat(obs, spec.reset() == CampaignSpec.Reset.SNAPSHOT ? CHANNEL_READY : spec.bootTimeout(),
                        spec.reset() == CampaignSpec.Reset.SNAPSHOT ? "restored victim" : "rebooted victim", inst);
            } catch (HpcvirtException e) {
                return broken(spec, backend, iso, fault, run, HpcvirtException.chain(e), t0);
            }
            obs.armHeartbeatWatch();
            List<long[]> marks = bystanders.stream().map(Bystander::mark).toList();
            VictimTarget target = new VictimTarget("victim", backend.name(), inst, ch, spec.memoryBytes());
            Injection inj = null;
            String error = null;
            Instant attempted = Instant.now();
            try {
                inj = InjectorCatalog.forFault(fault).inject(target, f, ctx);
            } catch (HpcvirtException e) {
                error = HpcvirtException.chain(e);
            }
            Instant at = inj != null ? inj.at() : attempted;
            boolean expectDown = fault.killsVictim() || inj == null;
            long deadline = System.nanoTime() + (expectDown ? spec.runTimeout()
                    : spec.heartbeatInterval().multipliedBy(3)).toNanos();
            while (System.nanoTime() < deadline && !obs.detections().victimDown()) {
                LockSupport.parkNanos(10_000_000L);
            }
            if (obs.detections().victimDown()) {
                LockSupport.parkNanos(DETECTION_GRACE.toNanos()); // let the other detectors report too
            }
            RunObserver.Detections seen = obs.detections();
            if (inj == null && !seen.victimDown()) {
                return broken(spec, backend, iso, fault, run, "injection failed: " + error, t0);
            }
            Classifier.Verdict v = Classifier.classify(fault, inj, at, seen, golden);
            HostHealth health = HostHealth.sample();
            List<String> problems = new ArrayList<>();
            for (int i = 0; i < bystanders.size(); i++) {
                String p = bystanders.get(i).problemSince(marks.get(i));
                if (!p.isEmpty()) {
                    problems.add(p);
                }
            }
            boolean daemonOk = daemonAnswering == null || daemonAnswering.getAsBoolean();
            ZoneModel.Disposition d = ZoneModel.disposition(fault, backend.name(), iso);
            String observed = !health.healthy() || !daemonOk ? "global" : problems.isEmpty() ? "limited" : "varied";
            StringBuilder detail = new StringBuilder(inj != null ? inj.detail() : "injection ended with: " + error);
            if (seen.consoleLine() != null) {
                detail.append("; console: ").append(seen.consoleLine());
            }
            if (inj != null && inj.workload() != null && golden != null) {
                detail.append("; result ").append(inj.workload()).append(inj.workload().equals(golden) ? " = golden" : " ≠ golden " + golden);
            }
            if (!health.healthy()) {
                detail.append("; host: ").append(health.problem());
            }
            if (!daemonOk) {
                detail.append("; daemon not answering");
            }
            problems.forEach(p -> detail.append("; ").append(p));
            return new RunRecord(spec.name(), backend.name(), iso.id(), fault.id(), fault.zone().number(), run,
                    v.outcome().id(), v.scope(), v.detected(), v.detectedBy(), v.latencyMs(), health.healthy(),
                    problems.isEmpty(), d.effect().id(), observed, detail.toString(), (System.nanoTime() - t0) / 1_000_000);
        } catch (HpcvirtException e) {
            return broken(spec, backend, iso, fault, run, HpcvirtException.chain(e), t0);
        } finally {
            obs.close();
            if (ch != null) {
                ch.close();
            }
            killQuietly(inst);
            live.remove(inst);
        }
    }

    private RunRecord broken(CampaignSpec spec, Backend backend, IsolationLevel iso, Fault fault, int run, String why, long t0) {
        return new RunRecord(spec.name(), backend.name(), iso.id(), fault.id(), fault.zone().number(), run,
                Outcome.BROKEN.id(), "none", false, List.of(), -1, HostHealth.sample().healthy(), true,
                ZoneModel.disposition(fault, backend.name(), iso).effect().id(), "n/a", why,
                t0 == 0 ? 0 : (System.nanoTime() - t0) / 1_000_000);
    }

    private Instance launch(Backend backend, VmProfile profile, Image image, Path runDir, Path incoming) throws HpcvirtException {
        try {
            Files.createDirectories(runDir);
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot create " + runDir, e);
        }
        Instance inst = backend.launch(new LaunchSpec(profile, runDir, image.kernel(), image.initramfs(), null, incoming, false));
        live.add(inst);
        return inst;
    }

    private static VmProfile profile(CampaignSpec spec, Backend backend, String name) {
        return new VmProfile(name, backend.name(), 1, spec.memoryBytes(), null, VmProfile.Network.NONE, spec.image(),
                spec.heartbeatInterval(), spec.heartbeatTimeout(), List.of(), "", null);
    }

    private static void awaitHeartbeat(RunObserver obs, Duration timeout, String what, Instance inst) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (obs.heartbeats() == 0) {
            if (!inst.isAlive()) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, what + ": VMM exited");
            }
            if (System.nanoTime() > deadline) {
                throw new HpcvirtException(ErrorCode.TIMEOUT, what + ": no heartbeat within " + timeout.toSeconds() + " s");
            }
            LockSupport.parkNanos(10_000_000L);
        }
    }

    /**
     * Connects the instance's guest channel, retrying while the instance lives: a VMM creates its socket before
     * launch returns, but a container's agent creates it only once the container's init has started it.
     */
    private static GuestChannel connect(Instance inst, GuestChannel.Listener listener, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                return GuestChannel.connect(inst.guestChannelSocket(), listener);
            } catch (HpcvirtException e) {
                if (!inst.isAlive() || System.nanoTime() > deadline) {
                    throw e;
                }
                LockSupport.parkNanos(20_000_000L);
            }
        }
    }

    private static void awaitBystander(Bystander by, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (by.beats() == 0) {
            if (System.nanoTime() > deadline) {
                throw new HpcvirtException(ErrorCode.TIMEOUT, by.name() + ": no heartbeat within " + timeout.toSeconds() + " s");
            }
            LockSupport.parkNanos(10_000_000L);
        }
    }

    private static void killQuietly(Instance i) {
        try {
            i.kill();
        } catch (RuntimeException e) {
            // reported by the run that owned it
        } finally {
            i.close();
        }
    }


    /** A progress bar on a terminal, one line per run otherwise. Thread-safe. */
    private static final class Progress implements AutoCloseable {
        private final PrintStream out;
        private final ProgressBar bar;
        private int done;
        private final int total;

        Progress(PrintStream out, String name, int total) {
            this.out = out;
            this.total = total;
            this.bar = System.console() == null || total == 0 ? null : new ProgressBarBuilder().setTaskName(name)
                    .setInitialMax(total).setUnit(" runs", 1).setConsumer(new ConsoleProgressBarConsumer(out)).build();
        }

        synchronized void line(String text) {
            if (bar == null) {
                out.println(text);
            } else {
                bar.setExtraMessage(text);
            }
        }

        synchronized void step(RunRecord r) {
            done++;
            String msg = r.backend() + "/" + r.isolation() + " " + r.fault() + " #" + r.run() + ": " + r.outcome()
                    + (r.detected() ? " detected in " + r.detectionLatencyMs() + " ms" : "");
            if (bar == null) {
                out.println("[" + done + "/" + total + "] " + msg);
            } else {
                bar.step();
                bar.setExtraMessage(msg);
            }
        }

        @Override
        public void close() {
            if (bar != null) {
                bar.close();
            }
        }
    }

    /** Why {@code backend} cannot take {@code fault} (the capability it lacks and the backend's reason), or null. */
    private static String lacking(Fault fault, Backend backend) {
        return fault.requiredCapability().filter(c -> !backend.capabilities().has(c))
                .map(c -> "backend '" + backend.name() + "' has no " + c.label() + " ("
                        + backend.capabilities().reasonAbsent(c).orElse("") + ")")
                .orElse(null);
    }

    /** Why {@code backend} cannot run the campaign's snapshot resets (it has no checkpoint), or null. */
    private static String snapshotProblem(CampaignSpec spec, Backend backend) {
        if (spec.reset() != CampaignSpec.Reset.SNAPSHOT || backend.capabilities().has(Capability.CHECKPOINT)) {
            return null;
        }
        return "reset: snapshot needs a checkpoint, and backend '" + backend.name() + "' has none ("
                + backend.capabilities().reasonAbsent(Capability.CHECKPOINT).orElse("") + "); use reset: reboot";
    }
}
