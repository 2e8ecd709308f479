package org.hpcvirt.enclave.campaign;

import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Operation;
import org.hpcvirt.api.VmEvent;
import org.hpcvirt.api.VmState;
import org.hpcvirt.checkpoint.CheckpointManifest;
import org.hpcvirt.daemon.DaemonClient;
import org.hpcvirt.enclave.EnclaveView;
import org.hpcvirt.enclave.LinkPolicy;
import org.hpcvirt.enclave.Links;
import org.hpcvirt.enclave.campaign.PairCampaignSpec.FaultRuns;
import org.hpcvirt.enclave.campaign.PairCampaignSpec.PairFault;
import org.hpcvirt.guest.ExecResult;

/**
 * Runs a {@link PairCampaignSpec} through a node daemon on this host: per policy it creates the
 * producer enclave {@code NAME-p} and the consumer {@code NAME-c} joined by link {@code NAME}, and
 * per run starts {@code hpcvirt-shmring} in both, injects the fault while the ring runs, and records
 * what the consumer saw ({@link ConsumerOutcome}). Bit flips are written by this process into the
 * segment file {@code /dev/shm/hpcvirt-link-NAME} (so it must run on the daemon's host, as root);
 * a kernel crash goes through the daemon's {@code Inject} operation, and the daemon then applies the
 * link's policy. Bit-flip runs go first and share the pair's boot; after a kernel crash the pair is
 * created again unless the policy brought it back (restart).
 *
 * <p>Not thread-safe: one {@link #run} at a time. Both enclaves are destroyed before {@link #run}
 * returns, also on failure; the client is the caller's to close.
 */
public final class PairCampaign {
    static final int HEADER = 64;
    static final int MESSAGE = 64;
    private static final long MAGIC = 0x6870637673686d31L;
    private static final Pattern CONSUMED = Pattern.compile(
            "consumed (\\d+) from (\\d+) good (\\d+) badsum (\\d+) badseq (\\d+)(?<tail>.*)");
    private static final Pattern UNDETECTED = Pattern.compile("undetected (\\d+)");

    private final DaemonClient client;
    private final PrintStream out;
    /** Guest commands block their thread for as long as they run; two run at once per run (producer, consumer). */
    private java.util.concurrent.ExecutorService execs;

    /**
     * @param client the daemon of this host (operate scope)
     * @param out    progress lines
     */
    public PairCampaign(DaemonClient client, PrintStream out) {
        this.client = client;
        this.out = out;
    }

    /**
     * Runs the campaign.
     *
     * @throws HpcvirtException ALREADY_EXISTS when a VM of the campaign's names exists already
     */
    public PairCampaignResult run(PairCampaignSpec spec) {
        Instant started = Instant.now();
        String p = spec.name() + "-p";
        String c = spec.name() + "-c";
        for (String n : List.of(p, c)) {
            if (client.list().stream().anyMatch(s -> s.name().equals(n))) {
                throw new HpcvirtException(ErrorCode.ALREADY_EXISTS, "campaign '" + spec.name() + "': a VM named '" + n
                        + "' exists already; destroy it or rename the campaign");
            }
        }
        SplittableRandom random = new SplittableRandom(spec.seed());
        List<FaultRuns> faults = new ArrayList<>(spec.faults());
        faults.sort(Comparator.comparing(f -> f.fault() == PairFault.KERNCRASH));
        List<PairRun> runs = new ArrayList<>();
        execs = java.util.concurrent.Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "pair-campaign-exec");
            t.setDaemon(true);
            return t;
        });
        try {
            for (LinkPolicy policy : spec.policies()) {
                for (FaultRuns f : faults) {
                    for (int i = 1; i <= f.runs(); i++) {
                        PairRun r = oneRun(spec, policy, f, i, random, p, c);
                        runs.add(r);
                        out.printf("%-8s %-9s run %d: %-10s %s%n", policy.id(), f.fault().id(), i, r.outcome(), r.consumerLine());
                    }
                }
                destroyPair(p, c);
            }
        } finally {
            try {
                destroyPair(p, c);
            } finally {
                execs.shutdownNow();
            }
        }
        Map<String, Map<String, Map<String, Integer>>> counts = new LinkedHashMap<>();
        for (PairRun r : runs) {
            counts.computeIfAbsent(r.policy(), k -> new LinkedHashMap<>()).computeIfAbsent(r.fault(), k -> new LinkedHashMap<>())
                    .merge(r.outcome(), 1, Integer::sum);
        }
        Map<String, String> host = new LinkedHashMap<>();
        host.put("cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
        host.put("kernel", System.getProperty("os.version"));
        host.put("loadAverage", String.format(java.util.Locale.ROOT, "%.2f",
                java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()));
        return new PairCampaignResult(spec.name(), started.toString(), Duration.between(started, Instant.now()).toMillis(), spec.linkBytes(),
                slots(spec.linkBytes()), spec.messages(), List.copyOf(runs), counts, host);
    }

    /** Ring slots of a segment of {@code bytes} (hpcvirt-shmring's layout: a 64-byte header, then 64-byte messages). */
    static long slots(long bytes) {
        return (bytes - HEADER) / MESSAGE;
    }

    private PairRun oneRun(PairCampaignSpec spec, LinkPolicy policy, FaultRuns f, int run, SplittableRandom random, String p, String c) {
        long t0 = System.nanoTime();
        long after = lastEvent();
        try {
            ensurePair(spec, policy, p, c);
            return f.fault() == PairFault.BITFLIP ? bitflip(spec, policy, f, run, random, p, c, after, t0)
                    : kerncrash(spec, policy, run, p, c, after, t0);
        } catch (RuntimeException e) {
            String state = stateOf(c);
            destroyPair(p, c);
            return new PairRun(policy.id(), f.fault().id(), run, ConsumerOutcome.BROKEN.id(), oneLine(e), -1, state,
                    decisions(p, c, after), List.of(), millisSince(t0));
        }
    }

    private PairRun bitflip(PairCampaignSpec spec, LinkPolicy policy, FaultRuns f, int run, SplittableRandom random, String p, String c,
            long after, long t0) {
        Path seg = Links.segment(spec.name());
        long[] h0 = header(seg);
        long start = h0[3];
        long seconds = spec.runTimeout().toSeconds();
        CompletableFuture<ExecResult> producer = exec(p, "hpcvirt-shmring produce " + spec.messages() + " " + seconds, spec);
        long slots = slots(spec.linkBytes());
        // the consumer lags: the producer fills the ring before the consumer starts, so flipped bits meet queued messages
        long fill = Math.min(slots, spec.messages());
        waitFor(spec.runTimeout(), () -> header(seg)[0] == MAGIC && header(seg)[2] - start >= fill || producer.isDone(),
                "the producer filling the ring");
        CompletableFuture<ExecResult> consumer = exec(c, "hpcvirt-shmring consume " + spec.messages() + " " + seconds + " check", spec);
        waitFor(spec.runTimeout(), () -> header(seg)[3] > start || consumer.isDone(), "the consumer starting");
        List<PairRun.Flip> flips = new ArrayList<>();
        for (int b = 0; b < f.bits(); b++) {
            flips.add(flip(seg, slots, start, random));
        }
        ExecResult got = await(consumer, spec);
        await(producer, spec);
        return new PairRun(policy.id(), PairFault.BITFLIP.id(), run, classify(got).id(), got.output().strip(), got.exitCode(), stateOf(c),
                decisions(p, c, after), List.copyOf(flips), millisSince(t0));
    }

    private PairRun kerncrash(PairCampaignSpec spec, LinkPolicy policy, int run, String p, String c, long after, long t0) {
        Path seg = Links.segment(spec.name());
        long start = header(seg)[3];
        long seconds = spec.runTimeout().toSeconds();
        long pid = client.execute(new Operation.ShowEnclave(p), EnclaveView.class).qemuPid();
        // the producer delivers the first half and the consumer drains it, so the crash finds the consumer waiting on the ring
        long half = Math.min(spec.messages() / 2, slots(spec.linkBytes()) - 1); // no consumer yet: it must fit the ring
        ExecResult first = await(exec(p, "hpcvirt-shmring produce " + half + " " + seconds, spec), spec);
        if (first.exitCode() != 0) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "the producer failed before the fault: " + first.output().strip());
        }
        CompletableFuture<ExecResult> consumer = exec(c, "hpcvirt-shmring consume " + spec.messages() + " " + seconds + " check", spec);
        waitFor(spec.runTimeout(), () -> header(seg)[3] >= start + half || consumer.isDone(), "the consumer draining the first half");
        client.inject(new Operation.Inject(p, "kerncrash", "performance", null, null));
        waitFor(spec.runTimeout(), () -> client.events(p, after, 10_000).stream()
                .anyMatch(e -> e.type() == VmEvent.Type.GUEST_PANICKED || e.type() == VmEvent.Type.QEMU_EXITED), "the producer's panic");
        // the policy's decision on the consumer (restart: also on the producer, which boots again)
        waitFor(spec.runTimeout(), () -> client.events(c, after, 10_000).stream().anyMatch(e -> e.type() == VmEvent.Type.FT_DECISION
                || e.type() == VmEvent.Type.ERROR), "the link policy's decision");
        if (policy == LinkPolicy.RESTORE_ALL) {
            return restored(spec, run, p, c, after, t0, consumer);
        }
        if (policy == LinkPolicy.RESTART) {
            waitFor(spec.bootTimeout(), () -> {
                EnclaveView v = client.execute(new Operation.ShowEnclave(p), EnclaveView.class);
                return v.state() == VmState.RUNNING && v.qemuPid() != 0 && v.qemuPid() != pid;
            }, "the producer restarting");
            long head = header(seg)[2];
            long remaining = start + spec.messages() - head;
            if (remaining > 0) {
                await(exec(p, "hpcvirt-shmring produce " + remaining + " " + seconds, spec), spec);
            }
        }
        // the decision is announced before it is carried out: wait for its effect on the consumer, its ring
        // program returning (isolate: peer dead) or its enclave leaving RUNNING (freeze, cascade)
        waitFor(spec.runTimeout().plusSeconds(30), () -> consumer.isDone() || client.status(c).state() != VmState.RUNNING,
                "the policy's effect on the consumer");
        // a step under way (cascade: STOPPING) ends before the consumer's outcome is read
        waitFor(spec.runTimeout(), () -> !java.util.EnumSet.of(VmState.STOPPING, VmState.STARTING).contains(client.status(c).state()),
                "the consumer's state to settle");
        VmState state = client.status(c).state();
        String line;
        int exit = -1;
        ConsumerOutcome outcome;
        if (state == VmState.RUNNING) {
            ExecResult got = await(consumer, spec);
            line = got.output().strip();
            exit = got.exitCode();
            outcome = classify(got);
        } else {
            outcome = switch (state) {
                case PAUSED -> ConsumerOutcome.FROZEN;
                case STOPPED -> ConsumerOutcome.STOPPED;
                case CRASHED, PANICKED, HUNG -> ConsumerOutcome.CRASHED;
                default -> ConsumerOutcome.BROKEN;
            };
            line = "(its enclave is " + state + ")";
        }
        List<String> decided = decisions(p, c, after);
        if (policy != LinkPolicy.RESTART) {
            destroyPair(p, c); // the producer stays panicked; the next run needs a fresh pair
        }
        consumer.handle((r, e) -> null);
        return new PairRun(policy.id(), PairFault.KERNCRASH.id(), run, outcome.id(), line, exit, state.name(), decided, List.of(),
                millisSince(t0));
    }

    /**
     * After a kernel crash under restore-all: both enclaves come back from the composite
     * checkpoint; the consumer's ring program of before is undone with the rest. The pair then
     * exchanges a tenth of the run's messages, which must continue from the checkpoint's tail.
     */
    private PairRun restored(PairCampaignSpec spec, int run, String p, String c, long after, long t0, CompletableFuture<ExecResult> old) {
        waitFor(spec.bootTimeout(), () -> client.events(c, after, 10_000).stream().anyMatch(e -> e.type() == VmEvent.Type.ERROR
                || e.type() == VmEvent.Type.FT_DECISION && e.message().contains("runs again from checkpoint set")), "the composite's restore");
        List<String> decided = decisions(p, c, after);
        old.handle((r, e) -> null);
        VmState state = client.status(c).state();
        if (decided.stream().anyMatch(d -> d.contains("was not restored")) || state != VmState.RUNNING || client.status(p).state() != VmState.RUNNING) {
            return new PairRun(LinkPolicy.RESTORE_ALL.id(), PairFault.KERNCRASH.id(), run, ConsumerOutcome.BROKEN.id(),
                    "the composite was not restored", -1, state.name(), decided, List.of(), millisSince(t0));
        }
        Path seg = Links.segment(spec.name());
        long tail = header(seg)[3];
        long seconds = spec.runTimeout().toSeconds();
        int k = Math.max(10, Math.min(spec.messages() / 10, (int) slots(spec.linkBytes()) - 1));
        await(exec(p, "hpcvirt-shmring produce " + k + " " + seconds, spec), spec);
        ExecResult got = await(exec(c, "hpcvirt-shmring consume " + k + " " + seconds + " check", spec), spec);
        ConsumerOutcome o = classify(got);
        if (o == ConsumerOutcome.CONTINUED && got.output().contains(" from " + tail + " ")) {
            o = ConsumerOutcome.RESTORED;
        }
        return new PairRun(LinkPolicy.RESTORE_ALL.id(), PairFault.KERNCRASH.id(), run, o.id(), got.output().strip(), got.exitCode(),
                state.name(), decisions(p, c, after), List.of(), millisSince(t0));
    }

    /** The outcome of a consumer that returned, from its result line. */
    static ConsumerOutcome classify(ExecResult got) {
        String line = got.output().strip();
        Matcher m = CONSUMED.matcher(line);
        if (!m.find()) {
            return line.contains("peer dead") ? ConsumerOutcome.TOLD_DEAD : ConsumerOutcome.BROKEN;
        }
        long badsum = Long.parseLong(m.group(4));
        long badseq = Long.parseLong(m.group(5));
        Matcher u = UNDETECTED.matcher(m.group("tail"));
        long undetected = u.find() ? Long.parseLong(u.group(1)) : 0;
        if (undetected > 0) {
            return ConsumerOutcome.UNDETECTED;
        }
        if (badsum + badseq > 0) {
            return ConsumerOutcome.DETECTED;
        }
        if (m.group("tail").contains("peer dead")) {
            return ConsumerOutcome.TOLD_DEAD;
        }
        if (m.group("tail").contains("timeout")) {
            return ConsumerOutcome.STALLED;
        }
        return got.exitCode() == 0 ? ConsumerOutcome.CONTINUED : ConsumerOutcome.BROKEN;
    }

    /**
     * Flips one random bit in the message area of {@code seg}; reads head and tail before and after, so
     * the flip knows whether it hit a message the consumer still has to read.
     */
    static PairRun.Flip flip(Path seg, long slots, long start, SplittableRandom random) {
        long offset = HEADER + random.nextLong(slots * MESSAGE);
        int bit = random.nextInt(8);
        long slot = (offset - HEADER) / MESSAGE;
        int within = (int) ((offset - HEADER) % MESSAGE);
        String field = within < 8 ? "seq" : within < 16 ? "sum" : "payload";
        long[] before = header(seg);
        try (FileChannel ch = FileChannel.open(seg, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, offset);
            b.put(0, (byte) (b.get(0) ^ (1 << bit)));
            b.rewind();
            ch.write(b, offset);
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot flip a bit in " + seg + ": " + e.getMessage(), e);
        }
        long[] afterFlip = header(seg);
        long head = before[2];
        // the newest sequence number written into this slot before the flip
        long q = head > slot ? head - 1 - Math.floorMod(head - 1 - slot, slots) : -1;
        boolean queued = q >= start && q >= before[3] && afterFlip[3] <= q;
        return new PairRun.Flip(offset, bit, field, slot, queued);
    }

    /** The segment's header {magic, slots, head, tail} (zeros while the file is shorter). */
    static long[] header(Path seg) {
        try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "r")) {
            byte[] b = new byte[32];
            f.readFully(b);
            ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
            return new long[] {buf.getLong(), buf.getLong(), buf.getLong(), buf.getLong()};
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot read the ring header of " + seg + ": " + e.getMessage(), e);
        }
    }

    private void ensurePair(PairCampaignSpec spec, LinkPolicy policy, String p, String c) {
        boolean ok = running(p) && running(c);
        if (ok) {
            return;
        }
        destroyPair(p, c);
        out.printf("%-8s creating enclaves %s (core %d) and %s (core %d), link %s%n", policy.id(), p, spec.cores().get(0), c,
                spec.cores().get(1), spec.name());
        create(spec, policy, p, spec.cores().get(0), c);
        create(spec, policy, c, spec.cores().get(1), p);
        if (policy == LinkPolicy.RESTORE_ALL) {
            // restore-all needs a consistent checkpoint of the pair: one right after boot
            CheckpointManifest[] set = client.execute(new Operation.CheckpointEnclave(p), CheckpointManifest[].class);
            out.printf("%-8s composite checkpoint %s (%s)%n", policy.id(), set[0].tag(),
                    java.util.Arrays.stream(set).map(CheckpointManifest::id).toList());
        }
    }

    private boolean running(String name) {
        return client.list().stream().anyMatch(s -> s.name().equals(name) && s.state() == VmState.RUNNING);
    }

    private void create(PairCampaignSpec spec, LinkPolicy policy, String name, int core, String peer) {
        String yaml = "name: " + name + "\ncores: [" + core + "]\nmemory: " + (spec.memoryBytes() >> 20) + "M\nisolation: performance\n"
                + "links:\n  - name: " + spec.name() + "\n    peer: " + peer + "\n    size: " + (spec.linkBytes() >> 10) + "K\n"
                + "    onFailure: " + policy.id() + "\nvm:\n  backend: qemu\n  heartbeat:\n    interval: 500ms\n    timeout: 10s\n";
        client.execute(new Operation.CreateEnclave(yaml, "campaign " + spec.name(), null, (int) spec.bootTimeout().toSeconds()),
                EnclaveView.class);
    }

    private void destroyPair(String p, String c) {
        RuntimeException first = null;
        for (String n : List.of(p, c)) {
            if (client.list().stream().anyMatch(s -> s.name().equals(n))) {
                try {
                    client.execute(new Operation.DestroyEnclave(n), Void.class);
                } catch (RuntimeException e) {
                    if (first == null) {
                        first = e;
                    }
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private CompletableFuture<ExecResult> exec(String vm, String command, PairCampaignSpec spec) {
        Duration limit = spec.runTimeout().plusSeconds(30);
        return CompletableFuture.supplyAsync(() -> client.exec(vm, command, limit), execs);
    }

    private static ExecResult await(CompletableFuture<ExecResult> f, PairCampaignSpec spec) {
        try {
            return f.get(spec.runTimeout().toSeconds() + 60, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new HpcvirtException(ErrorCode.TIMEOUT, "a ring program did not return within " + (spec.runTimeout().toSeconds() + 60) + " s");
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new HpcvirtException(ErrorCode.OPERATION_FAILED, oneLine(e.getCause()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "interrupted");
        }
    }

    private static void waitFor(Duration limit, BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new HpcvirtException(ErrorCode.TIMEOUT, "waited " + limit.toSeconds() + " s in vain for " + what);
            }
            LockSupport.parkNanos(Duration.ofMillis(5).toNanos());
        }
    }

    private long lastEvent() {
        return client.events(null, 0, 100_000).stream().mapToLong(VmEvent::seq).max().orElse(0);
    }

    private List<String> decisions(String p, String c, long after) {
        List<String> out = new ArrayList<>();
        for (String n : List.of(p, c)) {
            try {
                client.events(n, after, 10_000).stream().filter(e -> e.type() == VmEvent.Type.FT_DECISION || e.type() == VmEvent.Type.ERROR)
                        .forEach(e -> out.add(n + ": " + e.message()));
            } catch (HpcvirtException e) {
                out.add(n + ": (no events: " + e.getMessage() + ")");
            }
        }
        return out;
    }

    private String stateOf(String name) {
        return client.list().stream().filter(s -> s.name().equals(name)).map(s -> s.state().name()).findFirst().orElse("GONE");
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.lines().findFirst().orElse(m);
    }

    private static long millisSince(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }
}
