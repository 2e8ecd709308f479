package org.hpcvirt.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Operation;
import org.hpcvirt.api.VmEvent;
import org.hpcvirt.api.VmState;
import org.hpcvirt.backend.FakeBackend;
import org.hpcvirt.guest.FakeAgent;
import org.hpcvirt.metrics.MetricsAddress;
import org.hpcvirt.metrics.MetricsServer;
import org.hpcvirt.metrics.PromText;
import org.hpcvirt.vm.ManagedVm;
import org.hpcvirt.vm.NodeLayout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The node's metrics as the daemon composes them ({@link NodeServices} with the in-memory backend
 * and a scripted agent): names, labels and values after start, checkpoint, injection event, panic
 * and crash; the exposition parses strictly ({@link PromText}); a scrape answers while another
 * thread holds a VM's monitor; the listener serves /metrics and nothing else.
 */
class NodeMetricsTest {
    private static final String PROFILE = "name: %s\nbackend: fake\ncpus: 2\nmemory: 64M\nheartbeat:\n  interval: 100ms\n"
            + "  timeout: 30s\n";

    private FakeNode fake;
    private NodeLayout layout;
    private FakeBackend backend;
    private NodeServices node;

    @BeforeEach
    void setUp() throws IOException {
        fake = new FakeNode("hv-mt");
        layout = fake.layout;
        backend = fake.backend;
        node = fake.node();
    }

    @AfterEach
    void tearDown() throws IOException {
        fake.close();
    }

    private Object run(Operation op) {
        return fake.run(op);
    }

    private VmState state(String vm) {
        return fake.state(vm);
    }

    private FakeAgent running(String vm) throws IOException {
        return fake.running(vm, PROFILE);
    }

    /** A fresh snapshot, scraped and parsed. */
    private PromText scrape() {
        node.metrics().refresh();
        return PromText.parse(new String(node.metrics().scrape(), StandardCharsets.UTF_8));
    }

    private static double value(PromText p, String name, String... labels) {
        Double v = p.value(name, labels);
        assertThat(v).as("%s%s", name, List.of(labels)).isNotNull();
        return v;
    }

    @Test
    void aFreshNodeHasEveryStateAtZeroAndDescribesTheDaemon() {
        PromText p = scrape();
        for (VmState s : VmState.values()) {
            assertThat(value(p, "hpcvirt_vms", "state", s.name())).as(s.name()).isZero();
        }
        assertThat(value(p, "hpcvirt_build_info", "version", NodeServices.VERSION, "java_version", Runtime.version().toString()))
                .isEqualTo(1);
        assertThat(value(p, "hpcvirt_daemon_resident_memory_bytes")).isGreaterThan(1e6);
        assertThat(value(p, "hpcvirt_daemon_cpu_seconds_total")).isPositive();
        assertThat(value(p, "hpcvirt_daemon_start_time_seconds")).isCloseTo(System.currentTimeMillis() / 1000.0,
                org.assertj.core.data.Offset.offset(120.0));
        assertThat(value(p, "hpcvirt_metrics_snapshot_age_seconds")).isBetween(0.0, 1.0);
        assertThat(value(p, "hpcvirt_metrics_snapshot_duration_seconds")).isBetween(0.0, 1.0);
        assertThat(value(p, "hpcvirt_events_total", "type", "INJECTION")).isZero();
        assertThat(p.families()).allMatch(f -> f.startsWith("hpcvirt_")).allMatch(f -> p.help(f) != null && !p.help(f).isBlank());
        assertThat(p.type("hpcvirt_vms")).isEqualTo("gauge");
        assertThat(p.type("hpcvirt_operations_total")).as("no series yet, no family").isNull();
        assertThat(p.type("hpcvirt_injections_total")).as("no series yet, no family").isNull();
        assertThat(p.type("hpcvirt_daemon_cpu_seconds_total")).isEqualTo("counter");
        for (String h : List.of("hpcvirt_checkpoint_duration_seconds",
                "hpcvirt_checkpoint_pause_seconds", "hpcvirt_restore_duration_seconds", "hpcvirt_migration_duration_seconds",
                "hpcvirt_migration_downtime_seconds")) {
            assertThat(p.type(h)).as(h).isEqualTo("histogram");
        }
        assertThat(value(p, "hpcvirt_checkpoint_duration_seconds_count")).isZero();
    }

    @Test
    void aRunningVmShowsItsStateProfileHeartbeatAndOperations() throws IOException {
        running("a");
        assertCode(() -> run(new Operation.Pause("nope")), ErrorCode.NOT_FOUND);
        assertCode(() -> run(new Operation.Resume("a")), ErrorCode.WRONG_STATE);
        PromText p = scrape();
        assertThat(value(p, "hpcvirt_vms", "state", "RUNNING")).isEqualTo(1);
        assertThat(value(p, "hpcvirt_vms", "state", "STOPPED")).isZero();
        for (VmState s : VmState.values()) {
            assertThat(value(p, "hpcvirt_vm_state", "vm", "a", "state", s.name())).as(s.name()).isEqualTo(s == VmState.RUNNING ? 1 : 0);
        }
        assertThat(value(p, "hpcvirt_vm_info", "vm", "a", "backend", "fake", "owner", "root")).isEqualTo(1);
        assertThat(value(p, "hpcvirt_vm_vcpus", "vm", "a")).isEqualTo(2);
        assertThat(value(p, "hpcvirt_vm_memory_bytes", "vm", "a")).isEqualTo(64 * 1024 * 1024);
        assertThat(value(p, "hpcvirt_vm_heartbeat_sequence", "vm", "a")).isEqualTo(1);
        assertThat(value(p, "hpcvirt_vm_heartbeat_age_seconds", "vm", "a")).isBetween(0.0, 30.0);
        assertThat(value(p, "hpcvirt_vm_guest_garbage_lines_total", "vm", "a")).isGreaterThanOrEqualTo(0);
        assertThat(p.type("hpcvirt_vm_guest_garbage_lines_total")).isEqualTo("counter");
        assertThat(p.type("hpcvirt_detections_total")).isEqualTo("counter");
        assertThat(p.value("hpcvirt_vm_checkpoint_age_seconds", "vm", "a")).as("no checkpoint yet").isNull();
        for (String type : List.of("HEARTBEAT_LOST", "GUEST_PANICKED", "QEMU_EXITED")) {
            assertThat(value(p, "hpcvirt_detections_total", "vm", "a", "type", type)).as(type).isZero();
        }
        assertThat(p.type("hpcvirt_operations_total")).isEqualTo("counter");
        assertThat(p.type("hpcvirt_operation_duration_seconds")).isEqualTo("histogram");
        assertThat(value(p, "hpcvirt_operations_total", "operation", "define", "outcome", "ok")).isEqualTo(1);
        assertThat(value(p, "hpcvirt_operations_total", "operation", "start", "outcome", "ok")).isEqualTo(1);
        assertThat(value(p, "hpcvirt_operations_total", "operation", "pause", "outcome", "not_found")).isEqualTo(1);
        assertThat(value(p, "hpcvirt_operations_total", "operation", "resume", "outcome", "wrong_state")).isEqualTo(1);
        assertThat(value(p, "hpcvirt_operation_duration_seconds_count", "operation", "start")).isEqualTo(1);
        assertThat(value(p, "hpcvirt_operation_duration_seconds_bucket", "operation", "start", "le", "+Inf")).isEqualTo(1);
        assertThat(value(p, "hpcvirt_operation_duration_seconds_sum", "operation", "start")).isPositive();
    }

    @Test
    void aCheckpointIsTimedAndAgedFromItsEventThenFromTheStoreAfterARestart() throws IOException {
        running("c");
        run(new Operation.Checkpoint("c", null, null));
        PromText p = scrape();
        assertThat(value(p, "hpcvirt_checkpoint_duration_seconds_count")).isEqualTo(1);
        assertThat(value(p, "hpcvirt_checkpoint_duration_seconds_sum")).isPositive();
        assertThat(value(p, "hpcvirt_checkpoint_pause_seconds_count")).isEqualTo(1);
        assertThat(value(p, "hpcvirt_events_total", "type", "CHECKPOINT")).isEqualTo(1);
        assertThat(value(p, "hpcvirt_operations_total", "operation", "checkpoint", "outcome", "ok")).isEqualTo(1);
        assertThat(value(p, "hpcvirt_vm_checkpoint_age_seconds", "vm", "c")).isBetween(0.0, 10.0);

        // a new daemon learns it from the store, without any event
        node = fake.restart(() -> { });
        await().atMost(Duration.ofSeconds(10)).until(() -> scrape().value("hpcvirt_vm_checkpoint_age_seconds", "vm", "c") != null);
        assertThat(value(scrape(), "hpcvirt_vm_checkpoint_age_seconds", "vm", "c")).isBetween(0.0, 60.0);
        assertThat(value(scrape(), "hpcvirt_checkpoint_duration_seconds_count")).as("histograms start anew").isZero();
    }

    @Test
    void injectionsPanicsHangsAndCrashesAreCountedPerVmButAStopIsNot() throws IOException {
        running("p");
        node.events().publish(VmEvent.of("p", VmEvent.Type.INJECTION, VmState.RUNNING, "injected kerncrash",
                Map.of("fault", "kerncrash", "zone", "E-Zone 3", "expectedEffect", "limited")));
        backend.last().panic();
        await().atMost(Duration.ofSeconds(5)).until(() -> state("p") == VmState.PANICKED);
        running("q");
        backend.last().exit(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> state("q") == VmState.CRASHED);
        run(new Operation.Define(String.format(PROFILE, "h").replace("30s", "500ms"), "test", null));
        FakeAgent h = fake.agent("h");
        run(new Operation.Start("h", false, null));
        await().atMost(Duration.ofSeconds(10)).until(h::connected);
        h.beat();
        await().atMost(Duration.ofSeconds(10)).until(() -> state("h") == VmState.HUNG);
        running("s");
        run(new Operation.Stop("s", true, null));

        PromText p = scrape();
        assertThat(value(p, "hpcvirt_injections_total", "vm", "p", "zone", "E-Zone 3", "fault", "kerncrash")).isEqualTo(1);
        assertThat(p.type("hpcvirt_injections_total")).isEqualTo("counter");
        assertThat(value(p, "hpcvirt_events_total", "type", "INJECTION")).isEqualTo(1);
        assertThat(value(p, "hpcvirt_detections_total", "vm", "p", "type", "GUEST_PANICKED")).isEqualTo(1);
        assertThat(value(p, "hpcvirt_detections_total", "vm", "q", "type", "QEMU_EXITED")).isEqualTo(1);
        assertThat(value(p, "hpcvirt_detections_total", "vm", "h", "type", "HEARTBEAT_LOST")).isEqualTo(1);
        assertThat(value(p, "hpcvirt_detections_total", "vm", "s", "type", "QEMU_EXITED")).as("a requested stop").isZero();
        assertThat(value(p, "hpcvirt_events_total", "type", "QEMU_EXITED")).as("both exits are events").isEqualTo(2);
        assertThat(value(p, "hpcvirt_vm_state", "vm", "p", "state", "PANICKED")).isEqualTo(1);
        assertThat(value(p, "hpcvirt_vm_state", "vm", "q", "state", "CRASHED")).isEqualTo(1);
        assertThat(value(p, "hpcvirt_vm_state", "vm", "h", "state", "HUNG")).isEqualTo(1);
        assertThat(value(p, "hpcvirt_vms", "state", "PANICKED")).isEqualTo(1);
        assertThat(value(p, "hpcvirt_vms", "state", "CRASHED")).isEqualTo(1);
        assertThat(value(p, "hpcvirt_vms", "state", "HUNG")).isEqualTo(1);
        assertThat(value(p, "hpcvirt_vms", "state", "STOPPED")).isEqualTo(1);
        assertThat(p.value("hpcvirt_vm_heartbeat_age_seconds", "vm", "q")).as("no VMM process, no heartbeat age").isNull();
        assertThat(p.value("hpcvirt_vm_heartbeat_sequence", "vm", "s")).as("no VMM process, no heartbeat").isNull();
        assertThat(value(p, "hpcvirt_vm_heartbeat_age_seconds", "vm", "h")).as("a hung guest's silence").isGreaterThan(0.5);

        // a destroyed VM's series go with it
        run(new Operation.Destroy("q"));
        p = scrape();
        assertThat(p.samples()).noneMatch(sm -> "q".equals(sm.labels().get("vm")));
        assertThat(value(p, "hpcvirt_detections_total", "vm", "p", "type", "GUEST_PANICKED")).isEqualTo(1);
    }

    @Test
    void aScrapeAnswersWhileAnotherThreadHoldsTheVmsMonitor() throws Exception {
        running("m");
        ManagedVm vm = node.vms().get("m");
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread holder = new Thread(() -> {
            synchronized (vm) {
                held.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }, "monitor-holder");
        holder.start();
        try (MetricsServer server = MetricsServer.start(new MetricsAddress("127.0.0.1", 0), node.metrics())) {
            held.await();
            // an operation on the VM now waits for the monitor, as behind a stuck QMP command
            CompletableFuture<Object> pause = CompletableFuture.supplyAsync(() -> run(new Operation.Pause("m")));
            long since = System.nanoTime();
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
                // the collector thread keeps taking snapshots (it never needs the monitor) ...
                await().atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(50))
                        .until(() -> node.metrics().latest().takenNanos() > since);
                // ... and scrapes, in-process and over HTTP, answer from it at once
                PromText p = PromText.parse(new String(node.metrics().scrape(), StandardCharsets.UTF_8));
                assertThat(value(p, "hpcvirt_vm_state", "vm", "m", "state", "RUNNING")).isEqualTo(1);
                assertThat(value(p, "hpcvirt_metrics_snapshot_age_seconds")).isLessThan(2.0);
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server.url())).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(PromText.parse(r.body()).value("hpcvirt_vms", "state", "RUNNING")).isEqualTo(1);
            });
            assertThat(pause).as("the pause still waits for the monitor").isNotDone();
            release.countDown();
            pause.get(10, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(state("m")).isEqualTo(VmState.PAUSED);
        } finally {
            release.countDown();
            holder.join(10_000);
        }
    }

    @Test
    void theListenerServesMetricsAndNothingElse() throws Exception {
        try (MetricsServer server = MetricsServer.start(new MetricsAddress("127.0.0.1", 0), node.metrics())) {
            assertThat(server.port()).isPositive();
            assertThat(server.url()).isEqualTo("http://127.0.0.1:" + server.port() + "/metrics");
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            String base = "http://127.0.0.1:" + server.port();
            HttpResponse<String> ok = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(ok.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
            assertThat(ok.headers().firstValue("Server")).isEmpty();
            assertThat(PromText.parse(ok.body()).value("hpcvirt_vms", "state", "RUNNING")).isZero();
            HttpResponse<String> head = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics"))
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(head.statusCode()).isEqualTo(200);
            assertThat(head.body()).isEmpty();
            for (String path : List.of("/", "/v1/vms", "/v1/node", "/v1/openapi.json", "/metrics/", "/metrics/x", "/v1/events/stream")) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + path)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(path).isEqualTo(404);
            }
            for (String method : List.of("POST", "PUT", "DELETE")) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics"))
                        .method(method, HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(method).isEqualTo(405);
            }
            HttpResponse<String> stop = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/daemon/stop"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(stop.statusCode()).isEqualTo(404);

            // a second listener on the same port is refused clearly
            MetricsAddress taken = new MetricsAddress("127.0.0.1", server.port());
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> MetricsServer.start(taken, node.metrics()))
                    .isInstanceOf(HpcvirtException.class).hasMessageContaining("cannot listen for metrics on 127.0.0.1:" + server.port())
                    .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.OPERATION_FAILED));
        }
    }

    private static void assertCode(Runnable call, ErrorCode code) {
        org.assertj.core.api.Assertions.assertThatThrownBy(call::run).isInstanceOf(HpcvirtException.class)
                .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(code));
    }
}
