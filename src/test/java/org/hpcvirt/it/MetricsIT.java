package org.hpcvirt.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.hpcvirt.api.DirectoryTree;
import org.hpcvirt.api.Json;
import org.hpcvirt.api.VmState;
import org.hpcvirt.client.UnixHttp;
import org.hpcvirt.metrics.PromText;
import org.hpcvirt.vm.VmStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The metrics as an operator runs them: a real daemon started with {@code hpcvirt daemon start
 * --metrics 127.0.0.1:PORT}, one real TCG guest, and a real Prometheus server (Debian's package)
 * scraping the daemon's metrics listener every second. Prometheus' HTTP API must show the VM
 * RUNNING and {@code up == 1}; {@code promtool check metrics} must accept the exposition without a
 * warning; then, with the VM's QEMU stopped by SIGSTOP (the guest goes HUNG) and a pause parked on
 * the VM's monitor waiting for QMP, scrapes must keep succeeding within a bounded time — directly,
 * over the API socket, and in Prometheus ({@code up}, {@code scrape_duration_seconds}). QEMU gets
 * SIGCONT and Prometheus is killed even when the test fails.
 */
class MetricsIT {
    private static final Duration BOOT = Duration.ofSeconds(90);
    /** What "a scrape answers within a bounded time" means here. */
    private static final Duration SCRAPE_BOUND = Duration.ofSeconds(2);

    private static TestNode node;
    private static Prometheus prometheus;
    private static int metricsPort;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @BeforeAll
    static void start() throws IOException {
        metricsPort = freePort();
        // Prometheus first: it starts while the daemon starts and the guest boots (a target that is down is retried)
        prometheus = Prometheus.start("127.0.0.1:" + metricsPort);
        node = TestNode.create().withDaemonArgs("--metrics", "127.0.0.1:" + metricsPort);
        node.startDaemon();
    }

    @AfterAll
    static void stop() {
        try {
            if (prometheus != null) {
                prometheus.close();
            }
        } finally {
            if (node != null) {
                node.close();
            }
        }
    }

    @Test
    void prometheusScrapesTheDaemonAndAStoppedQemuNeverBlocksAScrape() throws Exception {
        node.define("m1", "");
        VmStatus started = node.client().start("m1", true, BOOT);
        assertThat(started.state()).as(node.console("m1")).isEqualTo(VmState.RUNNING);
        long qemu = started.pid();

        // Prometheus sees the node through its own scrapes
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
            assertThat(prometheus.value("up{job=\"hpcvirt\"}")).isEqualTo(1);
            assertThat(prometheus.value("hpcvirt_vms{state=\"RUNNING\"}")).isEqualTo(1);
            assertThat(prometheus.value("hpcvirt_vm_state{vm=\"m1\",state=\"RUNNING\"}")).isEqualTo(1);
            assertThat(prometheus.value("hpcvirt_vm_heartbeat_sequence{vm=\"m1\"}")).isPositive();
            assertThat(prometheus.value("hpcvirt_operations_total{operation=\"start\",outcome=\"ok\"}")).isEqualTo(1);
        });
        assertThat(prometheus.value("hpcvirt_build_info")).isEqualTo(1);
        assertThat(prometheus.value("hpcvirt_daemon_resident_memory_bytes")).isGreaterThan(1e6);

        // promtool accepts the exposition as it is, without a lint warning
        String text = scrapeDirectly();
        Process promtool = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
        promtool.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
        promtool.getOutputStream().close();
        String lint = new String(promtool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(promtool.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(promtool.exitValue()).as(lint).isZero();
        assertThat(lint).as("promtool's lint").isBlank();
        // the API socket serves the same families
        UnixHttp.Response viaSocket = UnixHttp.send(node.layout().daemonSocket(), "GET", "/metrics", null, null, SCRAPE_BOUND);
        assertThat(viaSocket.status()).isEqualTo(200);
        assertThat(PromText.parse(viaSocket.bodyText()).families()).isEqualTo(PromText.parse(text).families());

        CompletableFuture<VmStatus> pause = null;
        stop(qemu, "STOP");
        try {
            // the silent guest goes HUNG; the collector keeps taking snapshots and Prometheus keeps scraping
            await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
                assertThat(prometheus.value("hpcvirt_vm_state{vm=\"m1\",state=\"HUNG\"}")).isEqualTo(1);
                assertThat(prometheus.value("hpcvirt_detections_total{vm=\"m1\",type=\"HEARTBEAT_LOST\"}")).isEqualTo(1);
            });
            // a pause now holds the VM's monitor, waiting for the stopped QEMU's QMP reply
            pause = CompletableFuture.supplyAsync(() -> node.client().pause("m1"));
            double ageBefore = heartbeatAge(PromText.parse(scrapeDirectly()));
            // scrape after scrape answers at once from a fresh snapshot, in which the silence grows
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                long t0 = System.nanoTime();
                PromText p = PromText.parse(scrapeDirectly());
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("one scrape").isLessThan(SCRAPE_BOUND);
                assertThat(p.value("hpcvirt_metrics_snapshot_age_seconds")).as("the snapshot stays fresh").isLessThan(2.0);
                assertThat(p.value("hpcvirt_vm_state", "vm", "m1", "state", "HUNG")).isEqualTo(1);
                assertThat(heartbeatAge(p)).as("the silence keeps growing").isGreaterThan(ageBefore + 2);
            });
            assertThat(pause).as("the pause waits for the stopped QEMU").isNotDone();
            UnixHttp.Response socket = UnixHttp.send(node.layout().daemonSocket(), "GET", "/metrics", null, null, SCRAPE_BOUND);
            assertThat(socket.status()).isEqualTo(200);
            // Prometheus' view of the last seconds, all with QEMU stopped and the monitor held
            assertThat(prometheus.value("min_over_time(up{job=\"hpcvirt\"}[3s])")).isEqualTo(1);
            assertThat(prometheus.value("max_over_time(scrape_duration_seconds{job=\"hpcvirt\"}[3s])")).isLessThan(0.5);
            assertThat(prometheus.value("max_over_time(hpcvirt_metrics_snapshot_age_seconds[3s])")).isLessThan(2.0);
            assertThat(prometheus.value("count_over_time(up{job=\"hpcvirt\"}[3s])")).as("scrapes in 3 s").isGreaterThanOrEqualTo(2);
        } finally {
            stop(qemu, "CONT");
        }
        // QEMU answers again: the parked pause completes, and Prometheus sees it
        assertThat(pause.get(30, TimeUnit.SECONDS).state()).isEqualTo(VmState.PAUSED);
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
            assertThat(prometheus.value("hpcvirt_vm_state{vm=\"m1\",state=\"PAUSED\"}")).isEqualTo(1);
            assertThat(prometheus.value("hpcvirt_operations_total{operation=\"pause\",outcome=\"ok\"}")).isEqualTo(1);
        });
    }

    private static double heartbeatAge(PromText p) {
        Double age = p.value("hpcvirt_vm_heartbeat_age_seconds", "vm", "m1");
        assertThat(age).as("heartbeat age of m1").isNotNull();
        return age;
    }

    /** GET /metrics on the daemon's metrics listener, within {@link #SCRAPE_BOUND}. */
    private static String scrapeDirectly() throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + "/metrics"))
                .timeout(SCRAPE_BOUND).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    private static void stop(long pid, String signal) throws IOException, InterruptedException {
        Process k = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
        assertThat(k.waitFor(10, TimeUnit.SECONDS) && k.exitValue() == 0).as("kill -%s %d", signal, pid).isTrue();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /**
     * A Prometheus server of this test: its own config, storage and log in a temporary directory,
     * on a free loopback port, scraping one target every second. Closing kills it and deletes the
     * directory.
     */
    static final class Prometheus implements AutoCloseable {
        private final Process process;
        private final Path dir;
        private final String base;

        private Prometheus(Process process, Path dir, String base) {
            this.process = process;
            this.dir = dir;
            this.base = base;
        }

        static Prometheus start(String target) throws IOException {
            Path dir = Files.createTempDirectory(Path.of("/tmp"), "hv-prom");
            int port = freePort();
            Files.writeString(dir.resolve("prometheus.yml"), """
                    global:
                      scrape_interval: 1s
                      scrape_timeout: 1s
                      evaluation_interval: 1s
                    scrape_configs:
                      - job_name: hpcvirt
                        static_configs:
                          - targets: ['%s']
                    """.formatted(target));
            Process p = new ProcessBuilder("prometheus", "--config.file=" + dir.resolve("prometheus.yml"),
                    "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port, "--log.level=warn")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
            Prometheus prom = new Prometheus(p, dir, "http://127.0.0.1:" + port);
            try {
                await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).ignoreExceptions().until(() -> {
                    assertThat(p.isAlive()).as(prom.log()).isTrue();
                    return HTTP.send(HttpRequest.newBuilder(URI.create(prom.base + "/-/ready")).timeout(Duration.ofSeconds(2)).build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
                });
            } catch (RuntimeException | Error e) {
                prom.close();
                throw e;
            }
            return prom;
        }

        /** The value of the one series {@code query} returns now, or null if it returns none. */
        Double value(String query) throws IOException, InterruptedException {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/query?query="
                    + URLEncoder.encode(query, StandardCharsets.UTF_8))).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode result = Json.mapper().readTree(r.body()).path("data").path("result");
            if (result.isEmpty()) {
                return null;
            }
            assertThat(result.size()).as("series of %s: %s", query, result).isEqualTo(1);
            return Double.parseDouble(result.get(0).path("value").get(1).asText());
        }

        String log() {
            try {
                return Files.readString(dir.resolve("prometheus.log"));
            } catch (IOException e) {
                return "(no log)";
            }
        }

        @Override
        public void close() {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
            DirectoryTree.deleteQuietly(dir);
        }
    }
}
