package org.hpcvirt.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.cluster.TlsMaterial;
import org.hpcvirt.daemon.DaemonClient;
import org.hpcvirt.daemon.RemoteAuth;
import org.hpcvirt.daemon.TcpListener;
import org.hpcvirt.migration.MigrationReport;

/**
 * The cost of mutual TLS on the daemon-to-daemon control path, TLS and plain TCP in one run: two
 * namespaced daemons ({@code scripts/netns-nodes.sh}), first with their node certificates, then
 * restarted with the lab switch ({@code HVN_MODE=plain}; the guest keeps running and is
 * re-attached). In each mode: N control requests ({@code GET /v1/node}) from node 1's namespace to
 * node 2's daemon on one kept-alive connection, N/10 each on a new connection (a full TLS
 * handshake each), and R live migrations of an idle 128 MiB guest back and forth (their control
 * steps over TLS; QEMU's state stream is plain TCP in both modes). Prints medians and the ratios
 * TLS / plain. Needs root. Not thread-safe.
 */
public final class TlsBenchmark {
    private static final String PREFIX = "hvT";
    private static final String PORT = "7743";

    private final String imageName;
    private final int requests;
    private final int rounds;
    private final Path script;
    private final PrintWriter out;

    public TlsBenchmark(String imageName, int requests, int rounds, Path script, PrintWriter out) {
        if (requests < 10 || requests > 100_000) {
            throw HpcvirtException.invalid("--requests must be between 10 and 100000, not " + requests);
        }
        if (rounds < 1 || rounds > 50) {
            throw HpcvirtException.invalid("--rounds must be between 1 and 50, not " + rounds);
        }
        this.imageName = imageName;
        this.requests = requests;
        this.rounds = rounds;
        this.script = script;
        this.out = out;
    }

    /** Results of one mode. */
    private record Mode(String name, double reusedUs, double reusedP90Us, double freshUs, List<Double> migTotal, List<Double> migRequest) {
    }

    /** Runs the benchmark with the images of {@code imagesDir}. */
    public void run(Path imagesDir) throws Exception {
        Path root = Files.createTempDirectory(Path.of("/tmp"), "hvt");
        Files.delete(root); // the script creates it, and removes it in "down"
        String classPath = System.getProperty("java.class.path");
        Map<String, String> env = Map.of("HVN_ROOT", root.toString(), "HVN_PREFIX", PREFIX, "HVN_PORT", PORT,
                "HVN_IMAGES", imagesDir.toRealPath().toString(), "HVN_CP", classPath);
        String yaml = "name: mig\nbackend: qemu\ncpus: 1\nmemory: 128M\nimage: " + imageName
                + "\ndisk:\n  size: 64M\nheartbeat:\n  interval: 100ms\n  timeout: 2s\n";
        List<Mode> modes = new ArrayList<>();
        try {
            out.print(BenchHost.tool(script, List.of("up", "2"), env));
            out.printf("TLS benchmark: %d control requests (GET /v1/node) n1 → n2 on one connection, %d on a new connection each, "
                    + "%d migrations of an idle 128 MiB guest (QEMU/TCG, downtime-limit 300 ms, 1 channel), mutual TLS then plain TCP%n",
                    requests, Math.max(1, requests / 10), rounds);
            out.flush();
            Path[] socks = {root.resolve("n1/hpcvirtd.sock"), root.resolve("n2/hpcvirtd.sock")};
            try (DaemonClient c1 = new DaemonClient(socks[0])) {
                c1.define(yaml, "mig.yaml");
                c1.start("mig", true, Duration.ofSeconds(120));
            }
            int[] at = {0};
            modes.add(measure("mutual TLS", "https", root, classPath, socks, at));
            for (int i = 1; i <= 2; i++) {
                long pid = Long.parseLong(Files.readString(root.resolve("n" + i + "/hpcvirtd.pid")).trim());
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
                ProcessHandle.of(pid).ifPresent(p -> p.onExit().orTimeout(30, TimeUnit.SECONDS).join());
            }
            Map<String, String> plain = new java.util.HashMap<>(env);
            plain.put("HVN_MODE", "plain");
            for (int i = 1; i <= 2; i++) {
                out.print(BenchHost.tool(script, List.of("start", Integer.toString(i)), plain));
            }
            modes.add(measure("plain TCP (lab)", "http", root, classPath, socks, at));
            try (DaemonClient c = new DaemonClient(socks[at[0]])) {
                c.destroy("mig");
            }
        } finally {
            BenchHost.tool(script, List.of("down", "2"), env);
        }
        Mode tls = modes.get(0);
        Mode plain = modes.get(1);
        out.printf("%n%-16s %14s %14s %16s %18s %18s%n", "", "request (µs)", "p90 (µs)", "new conn. (µs)", "migration total", "migrate request");
        for (Mode m : modes) {
            out.printf("%-16s %14.0f %14.0f %16.0f %15.0f ms %15.0f ms%n", m.name(), m.reusedUs(), m.reusedP90Us(), m.freshUs(),
                    Stats.median(m.migTotal()), Stats.median(m.migRequest()));
        }
        out.printf("ratio TLS / plain: request on a kept connection %.2f, request on a new connection %.2f, "
                + "migration total %.2f, whole migrate request %.2f%n", tls.reusedUs() / plain.reusedUs(), tls.freshUs() / plain.freshUs(),
                Stats.median(tls.migTotal()) / Stats.median(plain.migTotal()),
                Stats.median(tls.migRequest()) / Stats.median(plain.migRequest()));
        out.flush();
    }

    private Mode measure(String name, String scheme, Path root, String classPath, Path[] socks, int[] at) throws Exception {
        String target = scheme + "://10.200.0.2:" + PORT;
        String auth = "https".equals(scheme) ? root.resolve("cluster/nodes/n1").toString() : "token:" + root.resolve("token");
        String probe = BenchHost.tool(null, List.of("nsenter", "--net=/run/netns/" + PREFIX + "1", javaBin(), "-cp", classPath,
                Probe.class.getName(), target, auth, Integer.toString(requests)), Map.of()).strip();
        String[] f = probe.substring(probe.lastIndexOf('\n') + 1).trim().split(" ");
        List<Double> total = new ArrayList<>();
        List<Double> request = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            int from = at[0];
            int to = 1 - from;
            try (DaemonClient c = new DaemonClient(socks[from])) {
                MigrationReport m = c.migrate("mig", scheme + "://10.200.0." + (to + 1) + ":" + PORT, 300L, 0L, 1, Duration.ofMinutes(5));
                total.add((double) m.totalMs());
                request.add((double) m.elapsedMs());
                out.printf("  %s round %d (n%d → n%d): total %d ms, downtime %d ms, request %d ms%n", name, i + 1, from + 1, to + 1,
                        m.totalMs(), m.downtimeMs(), m.elapsedMs());
                out.flush();
            }
            at[0] = to;
        }
        Mode m = new Mode(name, Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2]), total, request);
        out.printf("  %s: request median %.0f µs (p90 %.0f), on a new connection median %.0f µs%n", name, m.reusedUs(), m.reusedP90Us(),
                m.freshUs());
        out.flush();
        return m;
    }

    private static String javaBin() {
        return ProcessHandle.current().info().command().orElse("java");
    }


    /**
     * The client end, run inside node 1's namespace: {@code URL AUTH N}, AUTH a node directory
     * (mutual TLS) or {@code token:FILE} (plain TCP, lab). Prints, on its last line, the median and
     * p90 µs of N requests on one client and the median µs of N/10 requests each on a new client.
     */
    public static final class Probe {
        private Probe() {
        }

        public static void main(String[] a) {
            String url = a[0];
            RemoteAuth auth = a[1].startsWith("token:") ? RemoteAuth.plainLab(TcpListener.readToken(Path.of(a[1].substring(6))))
                    : RemoteAuth.node(TlsMaterial.load(Path.of(a[1])));
            int n = Integer.parseInt(a[2]);
            List<Double> reused = new ArrayList<>();
            try (DaemonClient c = DaemonClient.remote(url, auth)) {
                for (int i = 0; i < 20; i++) {
                    c.node(); // warm-up: JIT, the connection
                }
                for (int i = 0; i < n; i++) {
                    long t0 = System.nanoTime();
                    c.node();
                    reused.add((System.nanoTime() - t0) / 1e3);
                }
            }
            List<Double> fresh = new ArrayList<>();
            for (int i = 0; i < Math.max(1, n / 10); i++) {
                long t0 = System.nanoTime();
                try (DaemonClient c = DaemonClient.remote(url, auth)) {
                    c.node();
                }
                fresh.add((System.nanoTime() - t0) / 1e3);
            }
            List<Double> sorted = new ArrayList<>(reused);
            java.util.Collections.sort(sorted);
            System.out.println(Stats.median(reused) + " " + sorted.get((int) Math.min(sorted.size() - 1, Math.round(sorted.size() * 0.9)))
                    + " " + Stats.median(fresh));
        }
    }
}
