package org.hpcvirt.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.hpcvirt.api.DirectoryTree;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.VmState;
import org.hpcvirt.client.UnixHttp;
import org.hpcvirt.daemon.DaemonClient;
import org.hpcvirt.metrics.MetricsAddress;
import org.hpcvirt.vm.NodeLayout;

/**
 * What a Prometheus scrape costs the daemon: wall time of {@code GET /metrics} on the metrics
 * listener (plain HTTP over loopback, one kept-alive connection, as Prometheus scrapes) and over
 * the API's Unix socket (a new connection each, like the CLI), side by side with {@code GET /v1/node}
 * over the same socket (the cheapest API request), with idle booted guests on the node. Requests
 * alternate between the three after warm-up requests that are not counted. The daemon runs in a
 * temporary {@code HPCVIRT_HOME}; its VMs are destroyed and it is stopped at the end, also on failure.
 */
public final class MetricsScrapeBenchmark {
    private static final int WARM_UP = 50;
    private static final Duration BOOT = Duration.ofSeconds(180);
    private static final Duration REQUEST = Duration.ofSeconds(10);

    private final Path imagesDir;
    private final String imageName;
    private final int vms;
    private final int requests;
    private final PrintWriter out;

    public MetricsScrapeBenchmark(Path imagesDir, String imageName, int vms, int requests, PrintWriter out) {
        if (vms < 0 || vms > 16) {
            throw HpcvirtException.invalid("--vms must be between 0 and 16, not " + vms);
        }
        if (requests < 1 || requests > 100_000) {
            throw HpcvirtException.invalid("--requests must be between 1 and 100000, not " + requests);
        }
        this.imagesDir = imagesDir;
        this.imageName = imageName;
        this.vms = vms;
        this.requests = requests;
        this.out = out;
    }

    /** Runs the benchmark; returns the medians in ms {metrics listener, metrics over the socket, /v1/node over the socket}. */
    public double[] run() throws IOException, InterruptedException {
        NodeLayout layout = NodeLayout.temporary("hvms", imagesDir);
        int port = freePort();
        MetricsAddress addr = new MetricsAddress("127.0.0.1", port);
        List<Double> listener = new ArrayList<>();
        List<Double> socketMetrics = new ArrayList<>();
        List<Double> node = new ArrayList<>();
        long pid = -1;
        int bytes = 0;
        long series = 0;
        try {
            pid = DaemonClient.spawnDaemon(layout, Map.of(MetricsAddress.ENV, addr.toString()));
            try (DaemonClient c = new DaemonClient(layout.daemonSocket())) {
                for (int i = 1; i <= vms; i++) {
                    c.define("name: ms" + i + "\nbackend: qemu\ncpus: 1\nmemory: 128M\nimage: " + imageName + "\n", "ms" + i + ".yaml");
                }
                for (int i = 1; i <= vms; i++) {
                    if (c.start("ms" + i, true, BOOT).state() != VmState.RUNNING) {
                        throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "VM ms" + i + " did not boot");
                    }
                }
            }
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(REQUEST).build();
            URI uri = URI.create("http://" + addr + "/metrics");
            out.printf("metrics benchmark: GET %s (kept-alive connection) and GET /metrics, GET /v1/node over the Unix socket"
                    + " (new connection each); daemon pid %d in %s, %d idle guests running; %d requests each after %d warm-up,"
                    + " alternating; load average %s%n", uri, pid, layout.home(), vms, requests, WARM_UP, BenchHost.loadAverage());
            out.flush();
            for (int i = -WARM_UP; i < requests; i++) {
                long t0 = System.nanoTime();
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(REQUEST).build(), HttpResponse.BodyHandlers.ofString());
                double a = (System.nanoTime() - t0) / 1e6;
                check(r.statusCode(), r.body(), "hpcvirt_vms{");
                t0 = System.nanoTime();
                UnixHttp.Response m = UnixHttp.send(layout.daemonSocket(), "GET", "/metrics", null, Map.of(), REQUEST);
                double b = (System.nanoTime() - t0) / 1e6;
                check(m.status(), m.bodyText(), "hpcvirt_vms{");
                t0 = System.nanoTime();
                UnixHttp.Response n = UnixHttp.send(layout.daemonSocket(), "GET", "/v1/node", null, Map.of(), REQUEST);
                double d = (System.nanoTime() - t0) / 1e6;
                check(n.status(), n.bodyText(), "\"pid\"");
                if (i >= 0) {
                    listener.add(a);
                    socketMetrics.add(b);
                    node.add(d);
                }
                bytes = r.body().getBytes(StandardCharsets.UTF_8).length;
                series = r.body().lines().filter(l -> !l.startsWith("#") && !l.isBlank()).count();
            }
        } finally {
            stop(layout, pid);
            DirectoryTree.deleteQuietly(layout.home());
        }
        double[] med = {Stats.median(listener), Stats.median(socketMetrics), Stats.median(node)};
        out.printf("%nscrape cost with %d idle guests (median of %d; exposition %d bytes, %d samples; load average %s at the end)%n",
                vms, requests, bytes, series, BenchHost.loadAverage());
        out.printf("  %-46s %7.2f ms  (min %.2f, max %.2f)%n", "GET /metrics, metrics listener (TCP):", med[0], Stats.min(listener),
                Stats.max(listener));
        out.printf("  %-46s %7.2f ms  (min %.2f, max %.2f)%n", "GET /metrics, API Unix socket:", med[1], Stats.min(socketMetrics),
                Stats.max(socketMetrics));
        out.printf("  %-46s %7.2f ms  (min %.2f, max %.2f)%n", "GET /v1/node, API Unix socket:", med[2], Stats.min(node),
                Stats.max(node));
        out.printf("  %-46s %7.2f×%n", "ratio /metrics / /v1/node (same socket):", med[1] / med[2]);
        out.flush();
        return med;
    }

    private static void check(int status, String body, String expected) {
        if (status != 200 || !body.contains(expected)) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "answer " + status + ": " + body.lines().limit(3).toList());
        }
    }

    /** Destroys the VMs, stops the daemon, and kills whatever of this home is still there. */
    private void stop(NodeLayout layout, long pid) {
        if (DaemonClient.running(layout)) {
            try (DaemonClient c = new DaemonClient(layout.daemonSocket())) {
                c.list().forEach(v -> c.destroy(v.name()));
                DaemonClient.stop(layout, Duration.ofSeconds(15));
            } catch (RuntimeException e) {
                out.println("could not stop cleanly (" + e.getMessage() + "); killing");
            }
        }
        String marker = layout.home().toString();
        BenchHost.kill(pid, marker);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
