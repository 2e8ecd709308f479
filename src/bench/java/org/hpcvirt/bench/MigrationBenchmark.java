package org.hpcvirt.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.backend.LaunchSpec;
import org.hpcvirt.backend.Migratable;
import org.hpcvirt.backend.qemu.QemuCommandLine;
import org.hpcvirt.backend.qemu.QmpConnection;
import org.hpcvirt.daemon.DaemonClient;
import org.hpcvirt.guest.Image;
import org.hpcvirt.guest.ImageStore;
import org.hpcvirt.profile.HostLimits;
import org.hpcvirt.profile.ProfileLoader;
import org.hpcvirt.profile.VmProfile;
import org.hpcvirt.migration.MigrationReport;

/**
 * Live migration of an idle 128 MiB guest (64 MiB data disk) between two network namespaces joined
 * by veth + bridge ({@code scripts/netns-nodes.sh}): hpcvirt {@code vm migrate} between the two
 * namespaced daemons against raw QMP migration between two raw QEMUs (same command line) in the same
 * namespaces, both with {@code downtime-limit} D and unlimited bandwidth; plus the link's own
 * bandwidth (a Java socket transfer of 256 MiB between the namespaces), so that total time can be set
 * against state ÷ link bandwidth. The VM goes back and forth; rounds alternate.
 */
public final class MigrationBenchmark {
    private static final Duration QMP = Duration.ofSeconds(30);
    private static final String PREFIX = "hvB";
    private static final String PORT = "7741";
    private static final int BW_PORT = 7742;

    private final Path imagesDir;
    private final String imageName;
    private final int rounds;
    private final long maxDowntimeMs;
    private final int channels;
    private final Path script;
    private final PrintWriter out;

    public MigrationBenchmark(Path imagesDir, String imageName, int rounds, long maxDowntimeMs, int channels, Path script, PrintWriter out) {
        if (rounds < 1 || rounds > 50) {
            throw HpcvirtException.invalid("--rounds must be between 1 and 50, not " + rounds);
        }
        if (channels < 1 || channels > Migratable.MigrateOptions.MAX_CHANNELS) {
            throw HpcvirtException.invalid("--channels must be between 1 and " + Migratable.MigrateOptions.MAX_CHANNELS + ", not " + channels);
        }
        this.channels = channels;
        this.imagesDir = imagesDir;
        this.imageName = imageName;
        this.rounds = rounds;
        this.maxDowntimeMs = maxDowntimeMs;
        this.script = script;
        this.out = out;
    }

    public void run() throws Exception {
        Image image = new ImageStore(imagesDir).get(imageName);
        Path root = Files.createTempDirectory(Path.of("/tmp"), "hvm");
        Files.delete(root); // the script creates it, and removes it in "down"
        // product and benchmark jars: the nodes' daemons need the one, the link probe the other
        String classPath = System.getProperty("java.class.path");
        Map<String, String> env = Map.of("HVN_ROOT", root.toString(), "HVN_PREFIX", PREFIX, "HVN_PORT", PORT,
                "HVN_IMAGES", imagesDir.toRealPath().toString(), "HVN_CP", classPath);
        String yaml = "name: mig\nbackend: qemu\ncpus: 1\nmemory: 128M\nimage: " + imageName
                + "\ndisk:\n  size: 64M\nheartbeat:\n  interval: 100ms\n  timeout: 2s\n";
        VmProfile profile = new ProfileLoader(HostLimits.detect()).parse(yaml, "mig.yaml");
        List<Double> hTotal = new ArrayList<>(), hDown = new ArrayList<>(), hPause = new ArrayList<>(), hBytes = new ArrayList<>(),
                hReq = new ArrayList<>(), rTotal = new ArrayList<>(), rDown = new ArrayList<>(), rBytes = new ArrayList<>(),
                rWall = new ArrayList<>(), link = new ArrayList<>();
        List<Process> raws = new ArrayList<>();
        try {
            String up = BenchHost.tool(script, List.of("up", "2"), env);
            out.print(up);
            out.printf("migration benchmark: %d rounds, 128 MiB idle guest, 64M data disk, image %s, QEMU/TCG, downtime-limit %d ms,"
                    + " bandwidth unlimited, %d channel(s), veth+bridge between namespaces %s1 and %s2%n", rounds, imageName, maxDowntimeMs,
                    channels, PREFIX, PREFIX);
            // the link's limit: one TCP stream, and as many streams as the migration uses; the faster counts
            List<Double> link1 = new ArrayList<>();
            List<Double> linkN = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                link1.add(linkBandwidth(classPath, 1));
                if (channels > 1) {
                    linkN.add(linkBandwidth(classPath, channels));
                }
            }
            out.printf("link bandwidth (Java sockets, 256 MiB %s1 → %s2, 3 runs each): 1 stream median %.0f MiB/s (min %.0f, max %.0f)%s%n",
                    PREFIX, PREFIX, Stats.median(link1) / (1 << 20), Stats.min(link1) / (1 << 20), Stats.max(link1) / (1 << 20),
                    linkN.isEmpty() ? "" : String.format(", %d streams median %.0f MiB/s (min %.0f, max %.0f)", channels,
                            Stats.median(linkN) / (1 << 20), Stats.min(linkN) / (1 << 20), Stats.max(linkN) / (1 << 20)));
            link.addAll(linkN.isEmpty() || Stats.median(link1) >= Stats.median(linkN) ? link1 : linkN);
            out.flush();
            Path[] socks = {root.resolve("n1/hpcvirtd.sock"), root.resolve("n2/hpcvirtd.sock")};
            try (DaemonClient c1 = new DaemonClient(socks[0]); DaemonClient c2 = new DaemonClient(socks[1])) {
                DaemonClient[] cs = {c1, c2};
                c1.define(yaml, "mig.yaml");
                c1.start("mig", true, Duration.ofSeconds(120));
                // raw pair: one qcow2 overlay on the image base, as the daemons share a store layer
                Path rawDir = root.resolve("raw");
                Files.createDirectories(rawDir);
                Path disk = rawDir.resolve("data.qcow2");
                new ImageStore(imagesDir).createDataDisk(image, disk, profile.disk().sizeBytes());
                Path srcRun = rawDir.resolve("a0");
                Files.createDirectories(srcRun);
                raws.add(startIn(1, new LaunchSpec(profile, srcRun, image.kernel(), image.initramfs(), disk, null, false), srcRun, List.of()));
                RawAgent.awaitHeartbeat(srcRun.resolve(QemuCommandLine.AGENT_SOCKET), null, new CompletableFuture<>()).close();
                int rawAt = 1;
                for (int i = 0; i < rounds; i++) {
                    int from = i % 2, to = 1 - from;
                    MigrationReport m = cs[from].migrate("mig", "https://10.200.0." + (to + 1) + ":" + PORT, maxDowntimeMs, 0L, channels,
                            Duration.ofMinutes(5));
                    hTotal.add((double) m.totalMs());
                    hDown.add((double) m.downtimeMs());
                    hPause.add((double) m.pauseMs());
                    hBytes.add((double) m.bytes());
                    hReq.add((double) m.elapsedMs());
                    // raw: a destination QEMU in the other namespace, -incoming defer -S on the same disk
                    int rawTo = 3 - rawAt;
                    Path dstRun = rawDir.resolve("a" + (i + 1));
                    Files.createDirectories(dstRun);
                    Process dst = startIn(rawTo, new LaunchSpec(profile, dstRun, image.kernel(), image.initramfs(), disk,
                            dstRun.resolve("incoming"), false), dstRun, QemuCommandLine.MIGRATION_DESTINATION_ARGS);
                    raws.add(dst);
                    double[] r = rawMigrate(srcRun, dstRun, "10.200.0." + rawTo);
                    rTotal.add(r[0]);
                    rDown.add(r[1]);
                    rBytes.add(r[2]);
                    rWall.add(r[3]);
                    Process old = raws.get(raws.size() - 2);
                    old.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                    srcRun = dstRun;
                    rawAt = rawTo;
                    out.printf("  round %d (n%d → n%d): hpcvirt total %d ms, downtime %d ms (guest paused ≤ %d), %.1f MiB, request %d ms;"
                            + " raw QMP total %.0f ms, downtime %.0f ms, %.1f MiB, wall %.0f ms%n", i + 1, from + 1, to + 1, m.totalMs(),
                            m.downtimeMs(), m.pauseMs(), m.bytes() / 1048576.0, m.elapsedMs(), r[0], r[1], r[2] / 1048576.0, r[3]);
                    out.flush();
                }
                for (DaemonClient c : cs) {
                    try {
                        c.destroy("mig");
                    } catch (RuntimeException e) {
                        // the VM lives on the other node
                    }
                }
            }
        } finally {
            for (Process p : raws) {
                p.destroyForcibly();
            }
            BenchHost.tool(script, List.of("down", "2"), env);
        }
        double mib = 1 << 20;
        double lb = Stats.median(link);
        double ideal = Stats.median(hBytes) / lb * 1000;
        out.printf("%nlive migration, idle 128 MiB guest, downtime-limit %d ms (median of %d)%n", maxDowntimeMs, rounds);
        out.printf("  hpcvirt vm migrate:  total %6.0f ms (min %.0f, max %.0f), downtime %4.0f ms (min %.0f, max %.0f), guest paused ≤ %.0f ms,"
                + " %.1f MiB, whole request %.0f ms%n", Stats.median(hTotal), Stats.min(hTotal), Stats.max(hTotal), Stats.median(hDown),
                Stats.min(hDown), Stats.max(hDown), Stats.median(hPause), Stats.median(hBytes) / mib, Stats.median(hReq));
        out.printf("  raw QMP migrate:     total %6.0f ms (min %.0f, max %.0f), downtime %4.0f ms (min %.0f, max %.0f), %.1f MiB,"
                + " migrate → destination cont %.0f ms%n", Stats.median(rTotal), Stats.min(rTotal), Stats.max(rTotal), Stats.median(rDown),
                Stats.min(rDown), Stats.max(rDown), Stats.median(rBytes) / mib, Stats.median(rWall));
        out.printf("  state ÷ link bandwidth: %.1f MiB / %.0f MiB/s = %.0f ms%n", Stats.median(hBytes) / mib, lb / mib, ideal);
        out.printf("  ratio hpcvirt total / raw total:            %6.2f%n", Stats.median(hTotal) / Stats.median(rTotal));
        out.printf("  ratio hpcvirt total / (state ÷ link bw):    %6.2f  (goal ≤ 1.2: %s)%n", Stats.median(hTotal) / ideal,
                Stats.median(hTotal) / ideal <= 1.2 ? "met" : "MISSED");
        out.printf("  hpcvirt downtime:                           %6.0f ms (goal ≤ 10 ms: %s)%n", Stats.median(hDown),
                Stats.median(hDown) <= 10 ? "met" : "MISSED");
        out.flush();
    }

    /** Starts the QEMU command line hpcvirt builds inside namespace PREFIX{@code node}. */
    private Process startIn(int node, LaunchSpec spec, Path run, List<String> extra) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + PREFIX + node));
        cmd.addAll(QemuCommandLine.build(spec, QemuCommandLine.Accel.TCG));
        cmd.addAll(extra);
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(run.resolve("qemu.log").toFile()).start();
    }

    /** Raw QMP migration; returns {QEMU total ms, QEMU downtime ms, bytes, wall ms from migrate to the destination's cont}. */
    private double[] rawMigrate(Path srcRun, Path dstRun, String dstAddr) {
        try (QmpConnection src = QmpConnection.connect(srcRun.resolve(QemuCommandLine.QMP_SOCKET), Duration.ofSeconds(10));
                QmpConnection dst = QmpConnection.connect(dstRun.resolve(QemuCommandLine.QMP_SOCKET), Duration.ofSeconds(10))) {
            if (channels > 1) {
                // the same as hpcvirt: multifd with the same number of channels on both ends
                for (QmpConnection q : List.of(src, dst)) {
                    q.execute("migrate-set-capabilities", Map.of("capabilities", List.of(Map.of("capability", "multifd", "state", true))), QMP);
                    q.execute("migrate-set-parameters", Map.of("multifd-channels", channels), QMP);
                }
            }
            dst.execute("migrate-incoming", Map.of("uri", "tcp:" + dstAddr + ":0"), QMP);
            JsonNode addr = dst.execute("query-migrate", Map.of(), QMP).path("socket-address");
            String port = addr.get(0).path("port").asText();
            Map<String, Object> params = new HashMap<>();
            params.put("downtime-limit", maxDowntimeMs);
            params.put("max-bandwidth", Long.MAX_VALUE / 2);
            src.execute("migrate-set-parameters", params, QMP);
            long t0 = System.nanoTime();
            src.execute("migrate", Map.of("uri", "tcp:" + dstAddr + ":" + port), QMP);
            JsonNode st = RawQmp.awaitMigration(src);
            RawQmp.awaitMigration(dst);
            dst.execute("cont", Map.of(), QMP);
            double wall = (System.nanoTime() - t0) / 1e6;
            // QEMU fills in the numbers a moment after it reports completed
            for (int i = 0; i < 100 && !st.has("downtime"); i++) {
                LockSupport.parkNanos(1_000_000L);
                st = src.execute("query-migrate", Map.of(), QMP);
            }
            return new double[] {st.path("total-time").asDouble(), st.path("downtime").asDouble(),
                    st.path("ram").path("transferred").asDouble(), wall};
        }
    }

    /** 256 MiB over {@code streams} TCP connections from namespace 1 to namespace 2, each end a JVM started with nsenter; bytes/s. */
    private static double linkBandwidth(String classPath, int streams) throws Exception {
        List<String> recv = List.of("nsenter", "--net=/run/netns/" + PREFIX + "2", javaBin(), "-cp", classPath,
                LinkBandwidth.class.getName(), "recv", "10.200.0.2", Integer.toString(BW_PORT), Integer.toString(streams));
        Process r = new ProcessBuilder(recv).redirectErrorStream(true).start();
        try {
            // wait until the receiver says it listens
            String first = new String(r.getInputStream().readNBytes(9), StandardCharsets.UTF_8);
            if (!first.startsWith("listening")) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "link receiver: " + first);
            }
            List<String> send = List.of("nsenter", "--net=/run/netns/" + PREFIX + "1", javaBin(), "-cp", classPath,
                    LinkBandwidth.class.getName(), "send", "10.200.0.2", Integer.toString(BW_PORT), Integer.toString(streams));
            String o = BenchHost.tool(null, send, Map.of()).strip();
            return Double.parseDouble(o.lines().reduce((a, b) -> b).orElseThrow());
        } finally {
            r.destroyForcibly();
            r.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }


    /** The two ends of the link measurement; run inside the namespaces with nsenter. */
    public static final class LinkBandwidth {
        private LinkBandwidth() {
        }

        /** {@code recv|send ADDR PORT STREAMS}: 256 MiB in all, split over STREAMS connections. */
        public static void main(String[] a) throws Exception {
            long total = 256L << 20;
            int streams = Integer.parseInt(a[3]);
            long each = total / streams;
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(streams);
            try {
                if (a[0].equals("recv")) {
                    try (ServerSocket ss = new ServerSocket()) {
                        ss.bind(new InetSocketAddress(a[1], Integer.parseInt(a[2])), streams);
                        System.out.print("listening\n");
                        System.out.flush();
                        List<java.util.concurrent.Future<?>> fs = new ArrayList<>();
                        for (int i = 0; i < streams; i++) {
                            Socket s = ss.accept();
                            fs.add(pool.submit(() -> {
                                try (s; InputStream in = s.getInputStream(); OutputStream o = s.getOutputStream()) {
                                    byte[] buf = new byte[1 << 20];
                                    long got = 0;
                                    while (got < each) {
                                        int n = in.read(buf);
                                        if (n < 0) {
                                            break;
                                        }
                                        got += n;
                                    }
                                    new DataOutputStream(o).writeLong(got);
                                }
                                return null;
                            }));
                        }
                        for (java.util.concurrent.Future<?> f : fs) {
                            f.get();
                        }
                    }
                } else {
                    byte[] buf = new byte[1 << 20];
                    new java.util.Random(1).nextBytes(buf);
                    List<Socket> socks = new ArrayList<>();
                    for (int i = 0; i < streams; i++) {
                        socks.add(new Socket(a[1], Integer.parseInt(a[2])));
                    }
                    long t0 = System.nanoTime();
                    List<java.util.concurrent.Future<Long>> fs = new ArrayList<>();
                    for (Socket s : socks) {
                        fs.add(pool.submit(() -> {
                            try (s) {
                                OutputStream o = s.getOutputStream();
                                for (long sent = 0; sent < each; sent += buf.length) {
                                    o.write(buf, 0, (int) Math.min(buf.length, each - sent));
                                }
                                o.flush();
                                return new DataInputStream(s.getInputStream()).readLong();
                            }
                        }));
                    }
                    long got = 0;
                    for (java.util.concurrent.Future<Long> f : fs) {
                        got += f.get();
                    }
                    double secs = (System.nanoTime() - t0) / 1e9;
                    System.out.println(got / secs);
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
