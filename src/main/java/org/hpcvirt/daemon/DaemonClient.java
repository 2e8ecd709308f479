package org.hpcvirt.daemon;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.InputStreamResponseListener;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.client.StringRequestContent;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.io.Transport;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Json;
import org.hpcvirt.api.VmEvent;
import org.hpcvirt.checkpoint.CheckpointManifest;
import org.hpcvirt.guest.CounterReading;
import org.hpcvirt.guest.ExecResult;
import org.hpcvirt.vm.NodeLayout;
import org.hpcvirt.vm.VmStatus;

/**
 * Client of a node daemon's REST + SSE API, over its Unix socket ({@link #DaemonClient(Path)}) or
 * over TCP with the cluster's bearer token ({@link #remote(String, String)}). Error responses
 * become {@link HpcvirtException}s with the daemon's code and message. Thread-safe; the creator
 * closes it.
 */
public final class DaemonClient implements AutoCloseable {
    private static final ObjectMapper JSON = Json.mapper();
    private static final Duration DAEMON_START = Duration.ofSeconds(30);

    private final String endpoint;
    private final String base;
    private final HttpClient http;
    private final Transport transport;
    private final String token;

    /** A client of the daemon listening on the Unix socket {@code socket}. */
    public DaemonClient(Path socket) {
        this(socket.toString(), "http://hpcvirtd", new Transport.TCPUnix(socket), null);
    }

    private DaemonClient(String endpoint, String base, Transport transport, String token) {
        this.endpoint = endpoint;
        this.base = base;
        this.transport = transport;
        this.token = token;
        this.http = new HttpClient();
        this.http.setIdleTimeout(0);
        try {
            http.start();
        } catch (Exception e) {
            throw new HpcvirtException(ErrorCode.INTERNAL, "cannot start HTTP client", e);
        }
    }

    /**
     * A client of the daemon at {@code url} ({@code http://HOST:PORT}, its {@code --listen}
     * address) over TCP, sending {@code Authorization: Bearer token} with every request. Nothing is
     * contacted until the first call.
     *
     * @throws HpcvirtException INVALID_INPUT if the URL is not {@code http://HOST:PORT}
     */
    public static DaemonClient remote(String url, String token) {
        java.net.URI u;
        try {
            u = new java.net.URI(url);
        } catch (java.net.URISyntaxException e) {
            throw HpcvirtException.invalid("node URL '" + url + "' is malformed: " + e.getMessage());
        }
        if (!"http".equals(u.getScheme()) || u.getHost() == null || u.getPort() <= 0
                || !(u.getRawPath() == null || u.getRawPath().isEmpty() || "/".equals(u.getRawPath()))) {
            throw HpcvirtException.invalid("node URL '" + url + "' must be http://HOST:PORT");
        }
        if (token == null || token.isBlank()) {
            throw HpcvirtException.invalid("a token is needed to talk to the daemon at " + url);
        }
        String b = "http://" + u.getRawAuthority();
        return new DaemonClient(b, b, Transport.TCP_IP, token);
    }

    /** Where this client sends its requests (socket path or URL), for messages. */
    public String endpoint() {
        return endpoint;
    }

    /** A client of the daemon serving {@code layout}; fails with DAEMON_UNAVAILABLE if none answers. */
    public static DaemonClient connect(NodeLayout layout) {
        if (!DaemonProbe.answers(layout.daemonSocket())) {
            throw new HpcvirtException(ErrorCode.DAEMON_UNAVAILABLE, "no daemon serves " + layout.home()
                    + " (start one with 'hpcvirt daemon start')");
        }
        return new DaemonClient(layout.daemonSocket());
    }

    /** A client of the daemon serving {@code layout}, starting one in the background if none runs. */
    public static DaemonClient connectOrStart(NodeLayout layout) {
        if (!DaemonProbe.answers(layout.daemonSocket())) {
            spawnDaemon(layout);
        }
        return new DaemonClient(layout.daemonSocket());
    }

    /** True if a daemon answers for {@code layout}. */
    public static boolean running(NodeLayout layout) {
        return DaemonProbe.answers(layout.daemonSocket());
    }

    /**
     * Starts {@code hpcvirt daemon run} as a detached process (own session, output to the daemon
     * log) with the same Java and class path as this process, and waits until it answers.
     *
     * @return the daemon's pid
     */
    public static long spawnDaemon(NodeLayout layout) {
        return spawnDaemon(layout, Map.of());
    }

    /**
     * Like {@link #spawnDaemon(NodeLayout)} with extra environment variables for the daemon (e.g.
     * {@link TcpListener#ENV_LISTEN} and {@link TcpListener#ENV_TOKEN_FILE}).
     */
    public static long spawnDaemon(NodeLayout layout, Map<String, String> env) {
        layout.ensure();
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of("setsid", java, "-Dhpcvirt.home=" + layout.home(), "-Xmx256m", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), "org.hpcvirt.cli.Main", "daemon", "run"));
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(layout.daemonLog().toFile()));
        pb.environment().put("HPCVIRT_HOME", layout.home().toString());
        pb.environment().putAll(env);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.DAEMON_UNAVAILABLE, "cannot start the daemon", e);
        }
        long deadline = System.nanoTime() + DAEMON_START.toNanos();
        while (!DaemonProbe.answers(layout.daemonSocket())) {
            if (!p.isAlive()) {
                throw new HpcvirtException(ErrorCode.DAEMON_UNAVAILABLE, "the daemon exited at start (" + p.exitValue()
                        + "); see " + layout.daemonLog() + ": " + lastLine(layout.daemonLog()));
            }
            if (System.nanoTime() > deadline) {
                throw new HpcvirtException(ErrorCode.DAEMON_UNAVAILABLE, "the daemon did not answer within "
                        + DAEMON_START.toSeconds() + " s; see " + layout.daemonLog());
            }
            LockSupport.parkNanos(50_000_000L);
        }
        return p.pid();
    }

    private static String lastLine(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return lines.isEmpty() ? "(empty)" : lines.get(lines.size() - 1);
        } catch (IOException e) {
            return "(unreadable)";
        }
    }

    // ---------------------------------------------------------------- API

    public JsonNode node() {
        return call(HttpMethod.GET, "/v1/node", null, JsonNode.class);
    }

    public JsonNode backends() {
        return call(HttpMethod.GET, "/v1/backends", null, JsonNode.class);
    }

    public VmStatus define(String yaml, String source) {
        return call(HttpMethod.POST, "/v1/vms", Map.of("yaml", yaml, "source", source), VmStatus.class);
    }

    public List<VmStatus> list() {
        return call(HttpMethod.GET, "/v1/vms", null, new TypeReference<List<VmStatus>>() { });
    }

    public VmStatus status(String name) {
        return call(HttpMethod.GET, "/v1/vms/" + name, null, VmStatus.class);
    }

    public VmStatus start(String name, boolean wait, Duration timeout) {
        return call(HttpMethod.POST, "/v1/vms/" + name + "/start",
                Map.of("waitForHeartbeat", wait, "timeoutSeconds", timeout.toSeconds()), VmStatus.class);
    }

    public VmStatus pause(String name) {
        return call(HttpMethod.POST, "/v1/vms/" + name + "/pause", null, VmStatus.class);
    }

    public VmStatus resume(String name) {
        return call(HttpMethod.POST, "/v1/vms/" + name + "/resume", null, VmStatus.class);
    }

    public VmStatus stop(String name, boolean force, Duration timeout) {
        return call(HttpMethod.POST, "/v1/vms/" + name + "/stop",
                Map.of("force", force, "timeoutSeconds", timeout.toSeconds()), VmStatus.class);
    }

    public void destroy(String name) {
        call(HttpMethod.DELETE, "/v1/vms/" + name, null, JsonNode.class);
    }

    public ExecResult exec(String name, String command, Duration timeout) {
        return call(HttpMethod.POST, "/v1/vms/" + name + "/exec",
                Map.of("command", command, "timeoutSeconds", Math.max(1, timeout.toSeconds())), ExecResult.class);
    }

    /** Runs {@code argv} (program first) in the guest exactly as given, without a shell. */
    public ExecResult exec(String name, List<String> argv, Duration timeout) {
        return call(HttpMethod.POST, "/v1/vms/" + name + "/exec",
                Map.of("argv", List.copyOf(argv), "timeoutSeconds", Math.max(1, timeout.toSeconds())), ExecResult.class);
    }

    public CounterReading counter(String name) {
        return call(HttpMethod.GET, "/v1/vms/" + name + "/counter", null, CounterReading.class);
    }

    /** Console bytes from {@code offset}; the next offset to ask for is in {@link ConsoleChunk#nextOffset()}. */
    public ConsoleChunk console(String name, long offset) {
        ContentResponse r = send(newRequest(HttpMethod.GET, "/v1/vms/" + name + "/console?offset=" + offset, null));
        check(r.getStatus(), r.getContentAsString());
        String next = r.getHeaders().get("X-Next-Offset");
        return new ConsoleChunk(r.getContent(), next == null ? offset : Long.parseLong(next));
    }

    /** A piece of console output. */
    public record ConsoleChunk(byte[] data, long nextOffset) {
    }

    public List<VmEvent> events(String vm, long after, int limit) {
        String q = "/v1/events?after=" + after + "&limit=" + limit + (vm == null ? "" : "&vm=" + vm);
        return call(HttpMethod.GET, q, null, new TypeReference<List<VmEvent>>() { });
    }

    /**
     * Streams events (SSE) after {@code after}, optionally of one VM, to {@code sink} until it
     * returns false or the daemon goes away. Blocks the calling thread.
     */
    public void follow(String vm, long after, Predicate<VmEvent> sink) {
        String q = "/v1/events/stream?after=" + after + (vm == null ? "" : "&vm=" + vm);
        InputStreamResponseListener listener = new InputStreamResponseListener();
        Request req = newRequest(HttpMethod.GET, q, null).headers(h -> h.put("Accept", "text/event-stream"))
                .timeout(0, TimeUnit.SECONDS).idleTimeout(0, TimeUnit.SECONDS);
        req.send(listener);
        try {
            Response resp = listener.get(30, TimeUnit.SECONDS);
            if (resp.getStatus() != 200) {
                throw new HpcvirtException(ErrorCode.DAEMON_UNAVAILABLE, "event stream refused: HTTP " + resp.getStatus());
            }
            try (BufferedReader in = new BufferedReader(new InputStreamReader(listener.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    if (line.startsWith("data: ")) {
                        VmEvent ev = JSON.readValue(line.substring(6), VmEvent.class);
                        if (!sink.test(ev)) {
                            req.abort(new IOException("follower done"));
                            return;
                        }
                    }
                }
            }
        } catch (IOException | java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new HpcvirtException(ErrorCode.DAEMON_UNAVAILABLE, "event stream ended", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---------------------------------------------------------------- checkpoint, restore, suspend

    /** Checkpoints a RUNNING or PAUSED VM; see {@code VmService#checkpoint}. */
    public CheckpointManifest checkpoint(String name, boolean live, String tag) {
        Map<String, Object> body = new HashMap<>();
        body.put("live", live);
        if (tag != null) {
            body.put("tag", tag);
        }
        return call(HttpMethod.POST, "/v1/vms/" + name + "/checkpoint", body, CheckpointManifest.class);
    }

    /** Verifies and restores checkpoint {@code id} as VM {@code name} (null: the original name). */
    public VmStatus restore(String id, String name, boolean wait, Duration timeout) {
        Map<String, Object> body = new HashMap<>();
        if (name != null) {
            body.put("name", name);
        }
        body.put("waitForHeartbeat", wait);
        body.put("timeoutSeconds", timeout.toSeconds());
        return call(HttpMethod.POST, "/v1/checkpoints/" + id + "/restore", body, VmStatus.class);
    }

    /** Checkpoints a VM and stops its QEMU (SUSPENDED). */
    public CheckpointManifest suspend(String name) {
        return call(HttpMethod.POST, "/v1/vms/" + name + "/suspend", null, CheckpointManifest.class);
    }

    /** Restores a SUSPENDED VM on the daemon's node. */
    public VmStatus wake(String name, Duration timeout) {
        return call(HttpMethod.POST, "/v1/vms/" + name + "/wake", Map.of("timeoutSeconds", timeout.toSeconds()), VmStatus.class);
    }

    /**
     * Restores a SUSPENDED VM on the node of the daemon at {@code nodeUrl} (from the shared store);
     * this daemon then forgets it. This daemon authenticates there with its cluster token.
     */
    public VmStatus wakeOn(String name, String nodeUrl, Duration timeout) {
        return call(HttpMethod.POST, "/v1/vms/" + name + "/wake", Map.of("timeoutSeconds", timeout.toSeconds(), "node", nodeUrl),
                VmStatus.class);
    }

    /** The checkpoint a SUSPENDED VM wakes from. */
    public CheckpointManifest suspendCheckpoint(String name) {
        return call(HttpMethod.GET, "/v1/vms/" + name + "/suspend-checkpoint", null, CheckpointManifest.class);
    }

    /** Tells the daemon that its SUSPENDED VM now lives on {@code where}: it forgets the VM. */
    public void handOver(String name, String where) {
        call(HttpMethod.POST, "/v1/vms/" + name + "/hand-over?to=" + java.net.URLEncoder.encode(where, StandardCharsets.UTF_8),
                null, JsonNode.class);
    }

    /** Complete checkpoints, oldest first, of one VM or (null) all. */
    public List<CheckpointManifest> checkpoints(String vm) {
        return call(HttpMethod.GET, "/v1/checkpoints" + (vm == null ? "" : "?vm=" + vm), null,
                new TypeReference<List<CheckpointManifest>>() { });
    }

    /** One checkpoint's manifest; with {@code verify}, after checking every file's SHA-256. */
    public CheckpointManifest checkpointInfo(String id, boolean verify) {
        return call(HttpMethod.GET, "/v1/checkpoints/" + id + (verify ? "?verify=true" : ""), null, CheckpointManifest.class);
    }

    /** Deletes a checkpoint; returns the files removed (layers still needed stay). */
    public List<String> deleteCheckpoint(String id) {
        JsonNode n = call(HttpMethod.DELETE, "/v1/checkpoints/" + id, null, JsonNode.class);
        return JSON.convertValue(n.path("deleted"), new TypeReference<List<String>>() { });
    }

    /** Keeps the newest {@code keep} checkpoints of {@code vm}; returns the deleted ids. */
    public List<String> prune(String vm, int keep) {
        JsonNode n = call(HttpMethod.POST, "/v1/checkpoints/prune", Map.of("vm", vm, "keep", keep), JsonNode.class);
        return JSON.convertValue(n.path("deleted"), new TypeReference<List<String>>() { });
    }

    /** Announces a predicted failure of {@code node} in {@code in} to the daemon's fault-tolerance executor. */
    public void predict(String node, Duration in, double confidence) {
        call(HttpMethod.POST, "/v1/ft/predictions",
                Map.of("node", node, "inSeconds", in.toMillis() / 1000.0, "confidence", confidence), JsonNode.class);
    }

    /** The daemon's fault-tolerance view: node name and watched VMs. */
    public JsonNode ft() {
        return call(HttpMethod.GET, "/v1/ft", null, JsonNode.class);
    }

    // ---------------------------------------------------------------- live migration

    /**
     * Live-migrates a RUNNING VM to the daemon at {@code to} (its {@code http://HOST:PORT}); this
     * daemon authenticates there with its own cluster token. Returns once the destination runs it.
     *
     * @param maxDowntimeMs longest acceptable final pause
     * @param bandwidth     bytes/s cap, 0 = unlimited
     */
    public org.hpcvirt.vm.MigrationReport migrate(String name, String to, long maxDowntimeMs, long bandwidth, Duration timeout) {
        return migrate(name, to, maxDowntimeMs, bandwidth, org.hpcvirt.backend.Migratable.MigrateOptions.DEFAULT_CHANNELS, timeout);
    }

    /** Like {@link #migrate(String, String, long, long, Duration)} over {@code channels} parallel connections. */
    public org.hpcvirt.vm.MigrationReport migrate(String name, String to, long maxDowntimeMs, long bandwidth, int channels,
            Duration timeout) {
        return call(HttpMethod.POST, "/v1/vms/" + name + "/migrate", Map.of("to", to, "maxDowntimeMs", maxDowntimeMs,
                "bandwidth", bandwidth, "channels", channels, "timeoutSeconds", timeout.toSeconds()), org.hpcvirt.vm.MigrationReport.class);
    }

    /** Destination step 1 (called by a source daemon): start a QEMU waiting for the state. */
    public org.hpcvirt.vm.MigrationPeer.IncomingMigration prepareIncoming(org.hpcvirt.profile.VmProfile profile, Path disk, String from,
            int channels) {
        Map<String, Object> body = new HashMap<>();
        body.put("profile", profile);
        body.put("channels", channels);
        if (disk != null) {
            body.put("disk", disk.toString());
        }
        body.put("from", from);
        return call(HttpMethod.POST, "/v1/migrations/incoming", body, org.hpcvirt.vm.MigrationPeer.IncomingMigration.class);
    }

    /** Destination step 2: wait for the end of the stream, then resume; answers {@code {"waitedMs": N}}. */
    public JsonNode resumeIncoming(String name, Duration timeout) {
        return call(HttpMethod.POST, "/v1/migrations/incoming/" + name + "/resume", Map.of("timeoutSeconds", Math.max(1, timeout.toSeconds())),
                JsonNode.class);
    }

    /** Destination step 3: wait for the first heartbeat there. */
    public VmStatus awaitIncomingRunning(String name, Duration timeout) {
        return call(HttpMethod.POST, "/v1/migrations/incoming/" + name + "/await", Map.of("timeoutSeconds", Math.max(1, timeout.toSeconds())),
                VmStatus.class);
    }

    /** Destination on failure: kill the waiting QEMU and forget the VM; true if the daemon confirms the QEMU is gone. */
    public boolean abortIncoming(String name) {
        return call(HttpMethod.DELETE, "/v1/migrations/incoming/" + name, null, JsonNode.class).path("qemuGone").asBoolean(false);
    }

    /**
     * Asks the daemon serving {@code layout} to stop and waits until it no longer answers (its VMs
     * keep running). Returns at once if none runs.
     *
     * @throws HpcvirtException TIMEOUT if it still answers after {@code timeout}
     */
    public static void stop(NodeLayout layout, Duration timeout) {
        if (!running(layout)) {
            return;
        }
        try (DaemonClient c = new DaemonClient(layout.daemonSocket())) {
            c.stopDaemon();
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (running(layout)) {
            if (System.nanoTime() > deadline) {
                throw new HpcvirtException(ErrorCode.TIMEOUT, "hpcvirtd still answers " + timeout.toSeconds()
                        + " s after it was asked to stop");
            }
            LockSupport.parkNanos(50_000_000L);
        }
    }

    /** Asks the daemon to stop (its VMs keep running). */
    public void stopDaemon() {
        try {
            call(HttpMethod.POST, "/v1/daemon/stop", null, JsonNode.class);
        } catch (HpcvirtException e) {
            // the daemon may close the connection before its answer arrives; that is the point
            if (e.code() != ErrorCode.DAEMON_UNAVAILABLE) {
                throw e;
            }
        }
    }

    // ---------------------------------------------------------------- plumbing

    private Request newRequest(HttpMethod method, String path, Object body) {
        Request r = http.newRequest(base + path).transport(transport).method(method)
                .timeout(15, TimeUnit.MINUTES);
        if (token != null) {
            r.headers(h -> h.put("Authorization", "Bearer " + token));
        }
        if (body != null) {
            try {
                r.body(new StringRequestContent("application/json", JSON.writeValueAsString(body)));
            } catch (IOException e) {
                throw new HpcvirtException(ErrorCode.INTERNAL, "cannot encode request", e);
            }
        }
        return r;
    }

    private ContentResponse send(Request r) {
        try {
            return r.send();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HpcvirtException(ErrorCode.DAEMON_UNAVAILABLE, "interrupted");
        } catch (Exception e) {
            throw new HpcvirtException(ErrorCode.DAEMON_UNAVAILABLE, "daemon at " + endpoint + " did not answer", e);
        }
    }

    private <T> T call(HttpMethod method, String path, Object body, Class<T> type) {
        return call(method, path, body, JSON.getTypeFactory().constructType(type));
    }

    private <T> T call(HttpMethod method, String path, Object body, TypeReference<T> type) {
        return call(method, path, body, JSON.getTypeFactory().constructType(type));
    }

    /** Sends a request, turns an error answer into its exception, and reads the body (null if empty). */
    private <T> T call(HttpMethod method, String path, Object body, com.fasterxml.jackson.databind.JavaType type) {
        ContentResponse r = send(newRequest(method, path, body));
        String text = r.getContentAsString();
        check(r.getStatus(), text);
        try {
            return text.isEmpty() ? null : JSON.readValue(text, type);
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.DAEMON_UNAVAILABLE, "daemon answered nonsense to " + path, e);
        }
    }

    private static void check(int status, String text) {
        if (status / 100 == 2) {
            return;
        }
        Map<String, String> err = new HashMap<>();
        try {
            JsonNode n = JSON.readTree(text);
            err.put("code", n.path("code").asText("INTERNAL"));
            err.put("message", n.path("message").asText(text));
        } catch (IOException e) {
            err.put("code", "INTERNAL");
            err.put("message", "HTTP " + status + ": " + text);
        }
        throw new HpcvirtException(ErrorCode.fromName(err.get("code")), err.get("message"));
    }

    @Override
    public void close() {
        try {
            http.stop();
        } catch (Exception e) {
            // closing
        }
    }
}
