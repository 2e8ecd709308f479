package org.hpcvirt.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.hpcvirt.api.DirectoryTree;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Operation;
import org.hpcvirt.daemon.Daemon;
import org.hpcvirt.daemon.DaemonClient;
import org.hpcvirt.guest.ExecResult;
import org.hpcvirt.guest.ImageBuilder;
import org.hpcvirt.network.PrivateNetwork;
import org.hpcvirt.network.PrivateNetworks;
import org.hpcvirt.vm.NodeLayout;

/**
 * {@code hpcvirt bench enclave}: on a two-core node, per run, two {@code isolation: performance}
 * enclaves (cores 0 and 1) joined by a 1 MiB link are created (create and attach times), exchange
 * checked ping-pong round trips and a checked ring stream over the link, and the same
 * {@code hpcvirt-shmring} binary does the same between two host processes over a {@code /dev/shm}
 * file (the native limit); then fixed-work quanta ({@code hpcvirt-noise}) are timed in the pinned
 * enclave with the other core idle and with a noisy neighbour enclave spinning on it, in an
 * unpinned ordinary VM likewise; two 1-vCPU VMs pinned to the enclaves' cores exchange the same
 * round trips and streams over TCP on a private network of this node (bridge and taps, no
 * peers); and the quanta natively. Everything made (daemon, enclaves, VMs, cgroups, segments,
 * private network, processes, temporary home) is undone at the end, or by a shutdown hook. Not
 * thread-safe; one run at a time per host (it needs cores 0 and 1 free of enclaves).
 */
public final class EnclaveBenchmark {
    static final int ROUND_TRIPS = 2000;
    static final int MESSAGES = 100_000;
    static final int QUANTA = 2000;
    static final int WORK = 20_000;
    private static final String A = "benc-a";
    private static final String B = "benc-b";
    private static final String NOISY = "benc-noisy";
    private static final String VM = "benc-vm";
    private static final String LINK = "benc-ring";
    private static final String NET_A = "benc-na";
    private static final String NET_B = "benc-nb";
    /** The private network of the two network VMs: this node only (no peers), its own VNI. */
    static final String NET = "bencnet";
    private static final int NET_VNI = 16_000_123;
    private static final String ADDR_A = PrivateNetwork.guestAddress(1);
    private static final String ADDR_B = PrivateNetwork.guestAddress(2);

    private static final Path CPUSET = Path.of("/sys/fs/cgroup/cpuset/hpcvirt");
    private static final Duration EXEC = Duration.ofSeconds(150);

    private Path imagesDir;
    private final String imageName;
    private final int runs;
    private final Path outDir;
    private final PrintWriter out;

    /** Checks the arguments only; {@code outDir} may be null (no files written); {@code imagesDir} may be set later. */
    public EnclaveBenchmark(Path imagesDir, String imageName, int runs, Path outDir, PrintWriter out) {
        if (runs < 1 || runs > 50) {
            throw HpcvirtException.invalid("--runs must be between 1 and 50, not " + runs);
        }
        if (Runtime.getRuntime().availableProcessors() < 2) {
            throw new HpcvirtException(ErrorCode.REFUSED, "bench enclave needs two host cores (0 and 1), this host has "
                    + Runtime.getRuntime().availableProcessors());
        }
        this.imagesDir = imagesDir;
        this.imageName = imageName;
        this.runs = runs;
        this.outDir = outDir;
        this.out = out;
    }

    /** Sets the images directory (built by the caller after the arguments were checked); returns this. */
    public EnclaveBenchmark withImages(Path images) {
        this.imagesDir = images;
        return this;
    }

    /** Samples gathered over the runs, one list per table row. */
    private final Map<String, List<EnclaveSamples.RoundTrips>> rtt = new LinkedHashMap<>();
    private final Map<String, List<EnclaveSamples.Stream>> streams = new LinkedHashMap<>();
    private final Map<String, List<EnclaveSamples.Quanta>> quanta = new LinkedHashMap<>();
    private final List<Double> createMs = new ArrayList<>();
    private final List<Double> attachMs = new ArrayList<>();
    private final List<Double> plainCreateMs = new ArrayList<>();
    /** The network's extra lines: busybox ping round trips and the stream of 1024 messages per write. */
    private final List<EnclaveSamples.RoundTrips> icmp = new ArrayList<>();
    private final List<EnclaveSamples.Stream> batched = new ArrayList<>();

    static final String ENCLAVES = "enclave <-> enclave (ivshmem link, 2 TCG guests)";
    static final String NATIVE = "host process <-> host process (/dev/shm)";
    static final String NETWORK = "VM <-> VM over a private network (2 TCG guests)";
    static final String PINNED = "pinned enclave, other core idle";
    static final String PINNED_NOISY = "pinned enclave, noisy enclave on the other core";
    static final String UNPINNED = "unpinned VM, other core idle";
    static final String UNPINNED_NOISY = "unpinned VM, noisy enclave on core 1";
    static final String NATIVE_Q = "host process pinned to core 0 (native)";

    /** Runs the benchmark and prints (and, with an output directory, writes) the tables. */
    public void run() throws IOException, InterruptedException {
        for (String n : List.of(A, B, NOISY)) {
            if (Files.isDirectory(CPUSET.resolve(n))) {
                throw new HpcvirtException(ErrorCode.REFUSED, "cgroup " + CPUSET.resolve(n) + " of another bench enclave run exists;"
                        + " is one running?");
            }
        }
        NodeLayout layout = NodeLayout.temporary("hvbe", imagesDir);
        Path home = layout.home();
        Files.writeString(home.resolve("enclave-node.yaml"), "reservedCores: []\nreservedMemory: 512M\n");
        Path nativeDir = Files.createTempDirectory("hvbe-native");
        Path nativeSeg = Path.of("/dev/shm/hpcvirt-bench-native-" + ProcessHandle.current().pid());
        if (PrivateNetworks.system().find(NET).isPresent()) {
            throw new HpcvirtException(ErrorCode.REFUSED, "private network " + NET + " of another bench enclave run exists; is one"
                    + " running? If not, remove it: hpcvirt network delete " + NET);
        }
        try (BenchCleanup cleanup = new BenchCleanup(out)) {
            cleanup.push("remove temporary home " + home, () -> DirectoryTree.delete(home));
            cleanup.push("remove " + nativeDir, () -> DirectoryTree.delete(nativeDir));
            cleanup.push("kill processes of " + home, () -> BenchHost.kill(-1, home.toString()));
            cleanup.push("remove " + nativeSeg + " and the link segment", () -> {
                try {
                    Files.deleteIfExists(nativeSeg);
                    Files.deleteIfExists(Path.of("/dev/shm/hpcvirt-link-" + LINK));
                } catch (IOException e) {
                    throw new HpcvirtException(ErrorCode.OPERATION_FAILED, e.getMessage());
                }
            });
            cleanup.push("remove the bench cgroups", () -> {
                for (String n : List.of(A, B, NOISY)) {
                    try {
                        Files.deleteIfExists(CPUSET.resolve(n));
                    } catch (IOException e) {
                        throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot remove " + CPUSET.resolve(n) + ": " + e.getMessage());
                    }
                }
            });
            Path shmring = compile(nativeDir, "hpcvirt-shmring");
            Path noise = compile(nativeDir, "hpcvirt-noise");
            Daemon daemon = Daemon.start(layout);
            cleanup.push("stop the daemon", daemon::close);
            DaemonClient client = new DaemonClient(layout.daemonSocket());
            cleanup.push("close the client", client::close);
            // without the daemon, too: the bridge and its taps are the kernel's
            cleanup.push("delete private network " + NET, () -> PrivateNetworks.system().delete(NET));
            cleanup.push("destroy the bench enclaves and VMs", () -> {
                for (String n : List.of(A, B, NOISY, VM, NET_A, NET_B)) {
                    quietDestroy(client, n);
                }
            });
            out.printf("enclave benchmark: %d run(s), enclaves %s (core 0) and %s (core 1), isolation performance, 128 MiB, 1 MiB link;"
                    + " image %s, QEMU/TCG; load %s%n", runs, A, B, imageName, BenchHost.loadAverage());
            out.flush();
            for (int r = 1; r <= runs; r++) {
                oneRun(r, client, shmring, noise, nativeSeg);
            }
            report(out);
            out.printf("load at the end %s%n", BenchHost.loadAverage());
            if (outDir != null) {
                Files.createDirectories(outDir);
                StringWriter w = new StringWriter();
                report(new PrintWriter(w));
                Files.writeString(outDir.resolve("enclave-bench.txt"), w.toString());
                Files.writeString(outDir.resolve("enclave-bench.csv"), csv());
                out.printf("written: %s, %s%n", outDir.resolve("enclave-bench.txt"), outDir.resolve("enclave-bench.csv"));
            }
            out.flush();
        }
    }

    private void oneRun(int r, DaemonClient client, Path shmring, Path noise, Path nativeSeg)
            throws IOException, InterruptedException {
        // (2) creation: first end makes the segment, second end attaches to it; both return after the first heartbeat
        long t0 = System.nanoTime();
        createEnclave(client, A, 0, B, true);
        createMs.add((System.nanoTime() - t0) / 1e6);
        t0 = System.nanoTime();
        createEnclave(client, B, 1, A, true);
        attachMs.add((System.nanoTime() - t0) / 1e6);

        // (1) the exchange over the link, then the same binary natively over /dev/shm
        rtt.computeIfAbsent(ENCLAVES, k -> new ArrayList<>()).add(EnclaveSamples.roundTrips(pair(client,
                "hpcvirt-shmring ping " + ROUND_TRIPS + " 120", "hpcvirt-shmring pong " + ROUND_TRIPS + " 120")));
        streams.computeIfAbsent(ENCLAVES, k -> new ArrayList<>()).add(EnclaveSamples.stream(pairReversed(client,
                "hpcvirt-shmring produce " + MESSAGES + " 120", "hpcvirt-shmring consume " + MESSAGES + " 120 timed")));
        Files.deleteIfExists(nativeSeg);
        Files.write(nativeSeg, new byte[1 << 20]);
        rtt.computeIfAbsent(NATIVE, k -> new ArrayList<>()).add(EnclaveSamples.roundTrips(nativePair(nativeSeg,
                List.of(shmring.toString(), "ping", Integer.toString(ROUND_TRIPS), "60"),
                List.of(shmring.toString(), "pong", Integer.toString(ROUND_TRIPS), "60"), true)));
        Files.write(nativeSeg, new byte[1 << 20]);
        streams.computeIfAbsent(NATIVE, k -> new ArrayList<>()).add(EnclaveSamples.stream(nativePair(nativeSeg,
                List.of(shmring.toString(), "consume", Integer.toString(MESSAGES), "60", "timed"),
                List.of(shmring.toString(), "produce", Integer.toString(MESSAGES), "60"), true)));
        Files.deleteIfExists(nativeSeg);

        // (3) OS noise: the pinned enclave alone, then with a noisy neighbour on the other core
        client.execute(new Operation.DestroyEnclave(B), Void.class);
        String q = "hpcvirt-noise quanta " + QUANTA + " " + WORK;
        add(PINNED, EnclaveSamples.quanta(exec(client, A, q)));
        long tp = System.nanoTime();
        createEnclave(client, NOISY, 1, null, false);
        plainCreateMs.add((System.nanoTime() - tp) / 1e6);
        add(PINNED_NOISY, withNoise(client, () -> EnclaveSamples.quanta(exec(client, A, q))));
        client.execute(new Operation.DestroyEnclave(A), Void.class);
        client.execute(new Operation.DestroyEnclave(NOISY), Void.class);

        // an ordinary VM: one vCPU, not pinned, no cgroup
        client.define("name: " + VM + "\nbackend: qemu\ncpus: 1\nmemory: 128M\nimage: " + imageName
                + "\nheartbeat:\n  interval: 500ms\n  timeout: 10s\n", "benc-vm.yaml");
        client.start(VM, true, Duration.ofSeconds(120));
        add(UNPINNED, EnclaveSamples.quanta(exec(client, VM, q)));
        createEnclave(client, NOISY, 1, null, false);
        add(UNPINNED_NOISY, withNoise(client, () -> EnclaveSamples.quanta(exec(client, VM, q))));
        client.execute(new Operation.DestroyEnclave(NOISY), Void.class);
        client.destroy(VM);

        // (4) the same exchange over a private network of this node: two VMs pinned like the enclaves
        network(client);

        add(NATIVE_Q, EnclaveSamples.quanta(runNative(List.of("taskset", "-c", "0", noise.toString(), "quanta",
                Integer.toString(QUANTA), Integer.toString(WORK)), Map.of())));

        EnclaveSamples.RoundTrips e = last(rtt.get(ENCLAVES));
        EnclaveSamples.RoundTrips n = last(rtt.get(NATIVE));
        EnclaveSamples.RoundTrips v = last(rtt.get(NETWORK));
        out.printf("  run %d: create %.0f ms, attach %.0f ms; RTT median enclaves %.1f µs, native %.2f µs, network %.0f µs;"
                        + " stream enclaves %.1f MB/s, native %.0f MB/s, network %.1f MB/s (batched %.1f MB/s, ICMP echo %.0f µs);"
                        + " quanta median pinned %.0f / noisy %.0f / unpinned %.0f / unpinned noisy %.0f µs%n",
                r, last(createMs), last(attachMs), e.medianNs() / 1e3, n.medianNs() / 1e3, v.medianNs() / 1e3,
                last(streams.get(ENCLAVES)).megabytesPerSecond(), last(streams.get(NATIVE)).megabytesPerSecond(),
                last(streams.get(NETWORK)).megabytesPerSecond(), last(batched).megabytesPerSecond(), last(icmp).medianNs() / 1e3,
                last(quanta.get(PINNED)).medianNs() / 1e3, last(quanta.get(PINNED_NOISY)).medianNs() / 1e3,
                last(quanta.get(UNPINNED)).medianNs() / 1e3, last(quanta.get(UNPINNED_NOISY)).medianNs() / 1e3);
        out.flush();
    }

    /**
     * Network {@value #NET} (a bridge of this node, no peers), VMs {@code benc-na} (core 0) and
     * {@code benc-nb} (core 1) on it, addressed through their agents like a job's VMs; then between
     * them the very exchange of the link, {@code hpcvirt-shmring} over one TCP connection
     * ({@code HPCVIRT_SHMRING_TCP}): {@value #ROUND_TRIPS} checked round trips of one 64-byte message
     * (TCP_NODELAY) and a timed stream of {@value #MESSAGES} checked 64-byte messages, one write each
     * (Nagle's algorithm coalesces them), then again with 1024 messages per write; and, for
     * the guest kernel's own turnaround, {@value #ROUND_TRIPS} busybox {@code ping -A} echoes of 64
     * bytes. VMs and network are removed at the end (and by the cleanup on failure).
     */
    private void network(DaemonClient client) throws IOException {
        client.execute(new Operation.CreateNetwork(NET, NET_VNI, "127.0.0.1", List.of(), null), PrivateNetwork.class);
        defineNetVm(client, NET_A, 0);
        defineNetVm(client, NET_B, 1);
        client.start(NET_A, true, Duration.ofSeconds(120));
        client.start(NET_B, true, Duration.ofSeconds(120));
        exec(client, NET_A, netSetup(NET_A, ADDR_A));
        exec(client, NET_B, netSetup(NET_B, ADDR_B));
        exec(client, NET_A, "ping -c 3 -W 10 " + ADDR_B + " >/dev/null || { echo '" + ADDR_B + " does not answer ping'; exit 1; }");
        String to = "HPCVIRT_SHMRING_TCP=" + ADDR_B + ":5001 ";
        String at = "HPCVIRT_SHMRING_TCP=:5001 ";
        rtt.computeIfAbsent(NETWORK, k -> new ArrayList<>()).add(EnclaveSamples.roundTrips(pair(client, NET_A, NET_B,
                to + "hpcvirt-shmring ping " + ROUND_TRIPS + " 120", at + "hpcvirt-shmring pong " + ROUND_TRIPS + " 120")));
        streams.computeIfAbsent(NETWORK, k -> new ArrayList<>()).add(EnclaveSamples.stream(pairReversed(client, NET_A, NET_B,
                to.replace("5001", "5002") + "hpcvirt-shmring produce " + MESSAGES + " 120",
                at.replace("5001", "5002") + "hpcvirt-shmring consume " + MESSAGES + " 120 timed")));
        batched.add(EnclaveSamples.stream(pairReversed(client, NET_A, NET_B,
                to.replace("5001", "5003") + "hpcvirt-shmring produce " + MESSAGES + " 120 batch",
                at.replace("5001", "5003") + "hpcvirt-shmring consume " + MESSAGES + " 120 timed")));
        icmp.add(NetworkSamples.ping(exec(client, NET_A, "ping -A -c " + ROUND_TRIPS + " -s 56 -W 10 " + ADDR_B + " | "
                + NetworkSamples.PING_FILTER)));
        client.destroy(NET_A);
        client.destroy(NET_B);
        client.execute(new Operation.DeleteNetwork(NET), Map.class);
    }

    private void defineNetVm(DaemonClient client, String name, int core) {
        client.define("name: " + name + "\nbackend: qemu\ncpus: 1\nmemory: 128M\nimage: " + imageName + "\npinning: [" + core
                + "]\nnetwork: private\nprivateNetwork: " + NET + "\nheartbeat:\n  interval: 500ms\n  timeout: 10s\n", name + ".yaml");
    }

    /** The guest set-up a job's VM gets on its private network (MAC, MTU, address), as a busybox sh command. */
    static String netSetup(String vm, String address) {
        return "i=0; while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done; "
                + "ip link set eth0 down && ip link set eth0 address " + PrivateNetwork.macOf(vm) + " && ip link set eth0 mtu "
                + PrivateNetwork.GUEST_MTU + " && ip addr flush dev eth0 && ip addr add " + address + "/24 dev eth0 && ip link set eth0 up";
    }

    private interface Measure<T> {
        T get() throws IOException;
    }

    /** Runs {@code m} while the noisy enclave spins its one vCPU; the spin is started first and ends with the enclave. */
    private <T> T withNoise(DaemonClient client, Measure<T> m) throws IOException, InterruptedException {
        CompletableFuture<ExecResult> spin = CompletableFuture.supplyAsync(() -> client.exec(NOISY, "hpcvirt-noise spin 600", EXEC));
        // the spin is running once the noisy vCPU has burnt CPU for a while; give the exec a head start
        TimeUnit.SECONDS.sleep(2);
        if (spin.isDone()) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "the noisy neighbour's spin ended at once: " + spin.join().output().strip());
        }
        try {
            return m.get();
        } finally {
            spin.cancel(true); // it ends when the noisy enclave is destroyed
        }
    }

    private static void createEnclave(DaemonClient client, String name, int core, String peer, boolean link) {
        String yaml = "name: " + name + "\ncores: [" + core + "]\nmemory: 128M\nisolation: performance\nhugepages: no\n"
                + (link ? "links:\n  - name: " + LINK + "\n    peer: " + peer + "\n    size: 1M\n" : "")
                + "vm:\n  backend: qemu\n  heartbeat:\n    interval: 500ms\n    timeout: 10s\n";
        client.execute(new Operation.CreateEnclave(yaml, name + ".yaml", null, 120), Object.class);
    }

    private static String exec(DaemonClient client, String vm, String cmd) {
        ExecResult r = client.exec(vm, cmd, EXEC);
        if (r.exitCode() != 0) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "'" + cmd + "' in " + vm + " exited " + r.exitCode() + ": "
                    + r.output().strip());
        }
        return r.output();
    }

    /** Starts {@code first} in enclave A, then {@code second} in B; returns A's output (ping's). */
    private static String pair(DaemonClient client, String first, String second) throws IOException {
        return pair(client, A, B, first, second);
    }

    /** Starts {@code first} in VM {@code a}, then {@code second} in {@code b}; returns {@code a}'s output (ping's). */
    private static String pair(DaemonClient client, String a, String b, String first, String second) throws IOException {
        CompletableFuture<String> fa = CompletableFuture.supplyAsync(() -> exec(client, a, first));
        exec(client, b, second);
        return join(fa);
    }

    /** Producer in A (in the background), timed consumer in B; returns B's output. */
    private static String pairReversed(DaemonClient client, String producer, String consumer) throws IOException {
        return pairReversed(client, A, B, producer, consumer);
    }

    /** Producer in VM {@code a} (in the background), timed consumer in {@code b}; returns {@code b}'s output. */
    private static String pairReversed(DaemonClient client, String a, String b, String producer, String consumer) throws IOException {
        CompletableFuture<String> fa = CompletableFuture.supplyAsync(() -> exec(client, a, producer));
        String out = exec(client, b, consumer);
        join(fa);
        return out;
    }

    private static String join(CompletableFuture<String> f) throws IOException {
        try {
            return f.get(EXEC.toSeconds() + 10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IOException(e.getCause());
        } catch (java.util.concurrent.TimeoutException | InterruptedException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "guest program did not finish: " + e);
        }
    }

    /**
     * The two ends natively, {@code first} on core 0 (its output is returned), {@code second} on core 1, both mapping
     * {@code segment}. The first is started first.
     */
    private static String nativePair(Path segment, List<String> first, List<String> second, boolean pin)
            throws IOException, InterruptedException {
        Map<String, String> env = Map.of("HPCVIRT_SHMRING_FILE", segment.toString());
        List<String> c0 = new ArrayList<>(pin ? List.of("taskset", "-c", "0") : List.of());
        c0.addAll(first);
        List<String> c1 = new ArrayList<>(pin ? List.of("taskset", "-c", "1") : List.of());
        c1.addAll(second);
        CompletableFuture<String> a = CompletableFuture.supplyAsync(() -> {
            try {
                return runNative(c0, env);
            } catch (IOException e) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, e.getMessage());
            }
        });
        runNative(c1, env);
        return join(a);
    }

    private static String runNative(List<String> cmd, Map<String, String> env) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        try (InputStream in = p.getInputStream()) {
            String o = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(90, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, String.join(" ", cmd) + " failed: " + o.strip());
            }
            return o;
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "interrupted: " + String.join(" ", cmd));
        }
    }

    /** Compiles the guest program's very source for the host (same flags as the image build). */
    private static Path compile(Path dir, String name) throws IOException, InterruptedException {
        Path src = dir.resolve(name + ".c");
        try (InputStream in = ImageBuilder.class.getResourceAsStream("/guest/workloads/" + name + ".c")) {
            if (in == null) {
                throw new HpcvirtException(ErrorCode.INTERNAL, "guest source " + name + ".c missing from the class path");
            }
            Files.write(src, in.readAllBytes());
        }
        BenchHost.tool(null, List.of("gcc", "-static", "-O2", "-Wall", "-Wextra", "-s", "-o", dir.resolve(name).toString(),
                src.toString()), Map.of());
        return dir.resolve(name);
    }

    private static void quietDestroy(DaemonClient client, String name) {
        try {
            client.destroy(name);
        } catch (HpcvirtException e) {
            if (e.code() != ErrorCode.NOT_FOUND) {
                throw e;
            }
        }
    }

    private void add(String row, EnclaveSamples.Quanta q) {
        quanta.computeIfAbsent(row, k -> new ArrayList<>()).add(q);
    }

    private static <T> T last(List<T> xs) {
        return xs.get(xs.size() - 1);
    }

    private static <T> List<Double> of(List<T> xs, Function<T, Double> f) {
        return xs.stream().map(f).toList();
    }

    /** The tables: medians over the runs of each run's figure (min–max over runs in brackets). */
    void report(PrintWriter w) {
        w.printf("%nshared-memory exchange (median over %d run(s) [min-max]); per run %d checked round trips of one 64-byte message"
                + " (busy-polled) and a stream of %d checked 64-byte messages through a %d-slot ring%n", runs, ROUND_TRIPS, MESSAGES,
                ((1 << 20) - 64) / 64);
        w.printf("%-52s %-22s %-22s %-20s %s%n", "path", "stream MB/s", "RTT median µs", "RTT p99 µs", "RTT max µs");
        for (String row : List.of(ENCLAVES, NATIVE, NETWORK)) {
            List<EnclaveSamples.RoundTrips> rs = rtt.get(row);
            w.printf("%-52s %-22s %-22s %-20s %s%n", row, range(of(streams.get(row), EnclaveSamples.Stream::megabytesPerSecond)),
                    range(of(rs, x -> x.medianNs() / 1e3)), range(of(rs, x -> x.p99Ns() / 1e3)), range(of(rs, x -> x.maxNs() / 1e3)));
        }
        w.printf("%-52s %s%n", "  same network, stream of 1024 messages per write",
                range(of(batched, EnclaveSamples.Stream::megabytesPerSecond)));
        w.printf("%-52s %-22s %-22s %-20s %s%n", "  same network, ICMP echo (ping -A, kernel answers)", "-",
                range(of(icmp, x -> x.medianNs() / 1e3)), range(of(icmp, x -> x.p99Ns() / 1e3)), range(of(icmp, x -> x.maxNs() / 1e3)));
        w.printf("  network row: the same hpcvirt-shmring exchange over one TCP connection (round trips with TCP_NODELAY; the stream"
                + " one write per message, coalesced by Nagle),"
                + " VMs of 1 vCPU/128 MiB pinned to cores 0 and 1, a bridge and two taps of this node%n");
        double ratio = Stats.median(of(streams.get(NATIVE), EnclaveSamples.Stream::megabytesPerSecond))
                / Stats.median(of(streams.get(ENCLAVES), EnclaveSamples.Stream::megabytesPerSecond));
        double rttRatio = Stats.median(of(rtt.get(ENCLAVES), x -> (double) x.medianNs()))
                / Stats.median(of(rtt.get(NATIVE), x -> (double) x.medianNs()));
        w.printf("  native / enclaves: stream %.1fx, median RTT %.0fx%n", ratio, rttRatio);
        double netStream = Stats.median(of(streams.get(NETWORK), EnclaveSamples.Stream::megabytesPerSecond));
        double netRtt = Stats.median(of(rtt.get(NETWORK), x -> (double) x.medianNs()));
        w.printf("  network vs enclaves: stream %.1fx lower, median RTT %.0fx higher;"
                + " vs native: stream %.1fx lower, median RTT %.0fx higher%n",
                Stats.median(of(streams.get(ENCLAVES), EnclaveSamples.Stream::megabytesPerSecond)) / netStream,
                netRtt / Stats.median(of(rtt.get(ENCLAVES), x -> (double) x.medianNs())),
                Stats.median(of(streams.get(NATIVE), EnclaveSamples.Stream::megabytesPerSecond)) / netStream,
                netRtt / Stats.median(of(rtt.get(NATIVE), x -> (double) x.medianNs())));

        w.printf("%ncreation, ms (request -> first heartbeat; min / median / max over %d run(s))%n", runs);
        w.printf("  %-60s %s%n", "enclave create, first end of the link (makes the segment)", mmm(createMs));
        w.printf("  %-60s %s%n", "link attach: the second end's create (maps the segment)", mmm(attachMs));
        w.printf("  %-60s %s%n", "enclave create without a link (the noisy neighbour)", mmm(plainCreateMs));

        w.printf("%nfixed work quanta (OS noise): %d quanta of %d iterations each per run; µs, median over runs [min-max];"
                + " spread = p99/median and max/median%n", QUANTA, WORK);
        w.printf("%-50s %-18s %-20s %-24s %-12s %s%n", "setup", "median µs", "p99 µs", "max µs", "p99/median", "max/median");
        for (String row : List.of(PINNED, PINNED_NOISY, UNPINNED, UNPINNED_NOISY, NATIVE_Q)) {
            List<EnclaveSamples.Quanta> qs = quanta.get(row);
            w.printf("%-50s %-18s %-20s %-24s %-12s %s%n", row, range(of(qs, x -> x.medianNs() / 1e3)), range(of(qs, x -> x.p99Ns() / 1e3)),
                    range(of(qs, x -> x.maxNs() / 1e3)), String.format("%.2f", Stats.median(of(qs, EnclaveSamples.Quanta::p99Spread))),
                    String.format("%.2f", Stats.median(of(qs, EnclaveSamples.Quanta::maxSpread))));
        }
        w.flush();
    }

    private static String range(List<Double> xs) {
        return num(Stats.median(xs)) + (xs.size() > 1 ? " [" + num(Stats.min(xs)) + "-" + num(Stats.max(xs)) + "]" : "");
    }

    private static String mmm(List<Double> xs) {
        return String.format("%.0f / %.0f / %.0f", Stats.min(xs), Stats.median(xs), Stats.max(xs));
    }

    /** Three significant digits, no exponent. */
    static String num(double x) {
        if (x >= 100) {
            return String.format("%.0f", x);
        }
        if (x >= 10) {
            return String.format("%.1f", x);
        }
        return String.format("%.2f", x);
    }

    private String csv() {
        StringBuilder b = new StringBuilder("kind,row,run,a,b,c,d\n");
        rtt.forEach((row, xs) -> {
            for (int i = 0; i < xs.size(); i++) {
                var x = xs.get(i);
                b.append("rtt_ns,").append(row).append(',').append(i + 1).append(',').append(x.minNs()).append(',').append(x.medianNs())
                        .append(',').append(x.p99Ns()).append(',').append(x.maxNs()).append('\n');
            }
        });
        streams.forEach((row, xs) -> {
            for (int i = 0; i < xs.size(); i++) {
                var x = xs.get(i);
                b.append("stream,").append(row).append(',').append(i + 1).append(',').append(x.count()).append(',').append(x.micros())
                        .append(',').append(String.format("%.2f", x.megabytesPerSecond())).append(",\n");
            }
        });
        quanta.forEach((row, xs) -> {
            for (int i = 0; i < xs.size(); i++) {
                var x = xs.get(i);
                b.append("quanta_ns,").append(row).append(',').append(i + 1).append(',').append(x.minNs()).append(',').append(x.medianNs())
                        .append(',').append(x.p99Ns()).append(',').append(x.maxNs()).append('\n');
            }
        });
        for (int i = 0; i < batched.size(); i++) {
            var x = batched.get(i);
            b.append("stream,").append(NETWORK).append(" 1024 per write,").append(i + 1).append(',').append(x.count()).append(',')
                    .append(x.micros()).append(',').append(String.format("%.2f", x.megabytesPerSecond())).append(",\n");
        }
        for (int i = 0; i < icmp.size(); i++) {
            var x = icmp.get(i);
            b.append("rtt_ns,").append(NETWORK).append(" ICMP echo,").append(i + 1).append(',').append(x.minNs()).append(',')
                    .append(x.medianNs()).append(',').append(x.p99Ns()).append(',').append(x.maxNs()).append('\n');
        }
        for (int i = 0; i < createMs.size(); i++) {
            b.append("create_ms,first end,").append(i + 1).append(',').append(Math.round(createMs.get(i))).append(",,,\n");
            b.append("create_ms,attach,").append(i + 1).append(',').append(Math.round(attachMs.get(i))).append(",,,\n");
        }
        return b.toString();
    }
}
