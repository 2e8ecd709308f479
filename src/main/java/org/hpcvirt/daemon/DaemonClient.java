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
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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
import org.hpcvirt.api.Operation;
import org.hpcvirt.client.UnixHttp;
import org.hpcvirt.api.OperationClient;
import org.hpcvirt.inject.InjectionReport;
import org.hpcvirt.migration.MigrationReport;
import org.hpcvirt.vm.ConsoleChunk;
import org.hpcvirt.vm.NodeLayout;
import org.hpcvirt.vm.VmStatus;
import com.fasterxml.jackson.databind.JavaType;

/**
 * Client of a node daemon's REST + SSE API, over its Unix socket ({@link #DaemonClient(Path)}) or
 * over TCP to another node's daemon ({@link #remote(String, RemoteAuth)}: mutual TLS with this
 * node's certificate, or a scoped token inside TLS; plain TCP only under the lab switch). Every call is one
 * {@link Operation} sent where the {@link RouteTable} says; the typed methods only build records. Error responses
 * become {@link HpcvirtException}s with the daemon's code and message. Thread-safe; the creator
 * closes it.
 */
public final class DaemonClient implements OperationClient {
    private static final ObjectMapper JSON = Json.mapper();

    /** Longest a single request may take (a migration or a wait for a heartbeat included). */
    static final Duration REQUEST_TIMEOUT = Duration.ofMinutes(15);

    private final String endpoint;
    private final String base;
    private final String token;
    /** The TLS material of an {@code https://} client; null over the Unix socket and plain TCP. */
    private final org.hpcvirt.cluster.TlsMaterial tls;
    /** The node socket, for one-shot requests without an HTTP client (fast CLI start); null over TCP. */
    private final Path socket;
    /** Longest one request of this client may take. */
    private final Duration requestTimeout;
    /** Jetty's client, started on first use: TCP requests and the event stream. */
    private HttpClient http;

    /** A client of the daemon listening on the Unix socket {@code socket}. */
    public DaemonClient(Path socket) {
        this(socket, REQUEST_TIMEOUT);
    }

    /**
     * A client of the daemon on the Unix socket {@code socket} whose every request gives up after
     * {@code requestTimeout} with DAEMON_UNAVAILABLE: for calls that must not wait on a wedged daemon
     * (stopping it, probing it).
     */
    public DaemonClient(Path socket, Duration requestTimeout) {
        this(socket.toString(), "http://hpcvirtd", null, null, socket, requestTimeout);
    }

    private DaemonClient(String endpoint, String base, String token, org.hpcvirt.cluster.TlsMaterial tls, Path socket,
            Duration requestTimeout) {
        this.endpoint = endpoint;
        this.base = base;
        this.token = token;
        this.tls = tls;
        this.socket = socket;
        this.requestTimeout = requestTimeout;
    }

    private synchronized HttpClient http() {
        if (http == null) {
            HttpClient c;
            if (tls != null) {
                org.eclipse.jetty.io.ClientConnector cc = new org.eclipse.jetty.io.ClientConnector();
                cc.setSslContextFactory(TlsConnectors.client(tls));
                c = new HttpClient(new org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP(cc));
            } else {
                c = new HttpClient();
            }
            c.setIdleTimeout(0);
            // a short request timeout (a probe) bounds the connection too
            c.setConnectTimeout(Math.min(requestTimeout.toMillis(), 15_000));
            try {
                c.start();
            } catch (Exception e) {
                throw new HpcvirtException(ErrorCode.INTERNAL, "cannot start HTTP client", e);
            }
            http = c;
        }
        return http;
    }

    /**
     * A client of the daemon at {@code url}, its {@code --listen} address: {@code https://HOST:PORT}
     * (the daemon's certificate is checked against the cluster CA and against HOST, IP addresses
     * against IP SANs; this side presents its node certificate if {@code auth} has one, and its
     * token, if any, inside TLS), or {@code http://HOST:PORT} only if {@code auth} allows plain TCP
     * (the lab switch). Nothing is contacted until the first call.
     *
     * @throws HpcvirtException INVALID_INPUT if the URL is not {@code https://HOST:PORT} (or
     *         {@code http://} under the lab switch), or {@code auth} cannot authenticate there
     */
    public static DaemonClient remote(String url, RemoteAuth auth) {
        java.net.URI u;
        try {
            u = new java.net.URI(url);
        } catch (java.net.URISyntaxException e) {
            throw HpcvirtException.invalid("node URL '" + url + "' is malformed: " + e.getMessage());
        }
        boolean https = "https".equals(u.getScheme());
        if (!(https || "http".equals(u.getScheme())) || u.getHost() == null || u.getPort() <= 0
                || !(u.getRawPath() == null || u.getRawPath().isEmpty() || "/".equals(u.getRawPath()))) {
            throw HpcvirtException.invalid("node URL '" + url + "' must be https://HOST:PORT");
        }
        if (!https && !auth.plainAllowed()) {
            throw HpcvirtException.invalid("node URL '" + url + "': plain http:// is refused (requests and tokens would travel in clear); "
                    + "use https://, or the lab switch --insecure-plain-tcp / " + TcpListener.ENV_INSECURE_TCP + "=yes");
        }
        if (https && auth.tls() == null) {
            throw HpcvirtException.invalid("node URL '" + url + "' needs the cluster's trust store (--tls DIR)");
        }
        if (auth.token() == null && !(https && auth.tls().hasNodeKey())) {
            throw HpcvirtException.invalid("talking to the daemon at " + url + " needs a node certificate (--tls DIR/nodes/NAME) or a token");
        }
        String b = (https ? "https://" : "http://") + u.getRawAuthority();
        return new DaemonClient(b, b, auth.token(), https ? auth.tls() : null, null, REQUEST_TIMEOUT);
    }

    /**
     * A client of the same daemon, with the same credentials, whose every request gives up after
     * {@code timeout} with DAEMON_UNAVAILABLE (probing a daemon that may be gone). It shares nothing
     * with this one; the caller closes both.
     */
    public DaemonClient withRequestTimeout(Duration timeout) {
        return new DaemonClient(endpoint, base, token, tls, socket, timeout);
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
            if (Files.exists(layout.home()) && !Files.isWritable(layout.home())) {
                // a node's shared home (root's): its daemon is the administrator's to start
                throw new HpcvirtException(ErrorCode.DAEMON_UNAVAILABLE, "no daemon serves " + layout.home() + ", and you cannot start "
                        + "one there (the directory is not yours); ask the node's administrator to run 'hpcvirt daemon start'");
            }
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
        return DaemonLauncher.spawn(layout, env);
    }

    /**
     * Like {@link #spawnDaemon(NodeLayout, Map)} with {@code jvmOptions} instead of the daemon's own
     * ({@link #daemonJvmOptions()}), e.g. for a benchmark that compares option sets.
     */
    public static long spawnDaemon(NodeLayout layout, Map<String, String> env, List<String> jvmOptions) {
        return DaemonLauncher.spawn(layout, env, jvmOptions);
    }

    /** The JVM options the daemon runs with (the class-path resource {@code org/hpcvirt/daemon/jvm.options}). */
    public static List<String> daemonJvmOptions() {
        return DaemonLauncher.jvmOptions();
    }

    // ---------------------------------------------------------------- operations

    /**
     * Executes {@code op} on the daemon: method, path and body come from the {@link RouteTable},
     * the answer is read as the route's result type.
     */
    public Object execute(Operation op) {
        RouteTable.Route route = RouteTable.of(op.getClass());
        return execute(op, route.result());
    }

    @Override
    public <R> R execute(Operation op, Class<R> resultType) {
        return execute(op, JSON.getTypeFactory().constructType(resultType));
    }

    private <R> R execute(Operation op, JavaType type) {
        RouteTable.Route route = RouteTable.of(op.getClass());
        String path = route.pathOf(op) + (route.queryFields() ? OperationBinder.query(route, op) : "");
        Object body = route.queryFields() ? null : OperationBinder.body(route, op);
        Answer a = exchange(route.method(), path, body);
        String text = new String(a.body(), java.nio.charset.StandardCharsets.UTF_8);
        check(a.status(), text);
        if (route.body() == RouteTable.Body.BYTES) {
            @SuppressWarnings("unchecked")
            R chunk = (R) new ConsoleChunk(a.body(), a.nextOffset() == null ? 0 : Long.parseLong(a.nextOffset()));
            return chunk;
        }
        try {
            return text.isEmpty() ? null : JSON.readValue(text, type);
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.DAEMON_UNAVAILABLE, "daemon answered nonsense to " + path, e);
        }
    }

    // The typed methods below only build operation records.

    public JsonNode node() {
        return execute(new Operation.NodeInfo(), JsonNode.class);
    }

    public JsonNode backends() {
        return execute(new Operation.ListBackends(), JsonNode.class);
    }

    public VmStatus define(String yaml, String source) {
        return define(yaml, source, null);
    }

    /** Defines a VM for {@code owner} (null: the caller); only administrators may name another user. */
    public VmStatus define(String yaml, String source, String owner) {
        return execute(new Operation.Define(yaml, source, owner), VmStatus.class);
    }

    public List<VmStatus> list() {
        return execute(new Operation.ListVms(), JSON.getTypeFactory().constructCollectionType(List.class, VmStatus.class));
    }

    public VmStatus status(String name) {
        return execute(new Operation.Status(name), VmStatus.class);
    }

    /** See {@link Operation.Export}. */
    public org.hpcvirt.vm.VmExport export(String name, String format) {
        return execute(new Operation.Export(name, format), org.hpcvirt.vm.VmExport.class);
    }

    public VmStatus start(String name, boolean wait, Duration timeout) {
        return execute(new Operation.Start(name, wait, seconds(timeout)), VmStatus.class);
    }

    public VmStatus pause(String name) {
        return execute(new Operation.Pause(name), VmStatus.class);
    }

    public VmStatus resume(String name) {
        return execute(new Operation.Resume(name), VmStatus.class);
    }

    public VmStatus stop(String name, boolean force, Duration timeout) {
        return execute(new Operation.Stop(name, force, seconds(timeout)), VmStatus.class);
    }

    public void destroy(String name) {
        execute(new Operation.Destroy(name), JsonNode.class);
    }

    /** Runs {@code shellCommand} through {@code /bin/sh -c} in the guest. */
    public ExecResult exec(String name, String shellCommand, Duration timeout) {
        return execute(new Operation.Exec(name, null, shellCommand, seconds(timeout)), ExecResult.class);
    }

    /** Runs the program {@code argv.get(0)} with exactly these arguments in the guest (no shell). */
    public ExecResult exec(String name, List<String> argv, Duration timeout) {
        return execute(new Operation.Exec(name, argv, null, seconds(timeout)), ExecResult.class);
    }


    public CounterReading counter(String name) {
        return execute(new Operation.Counter(name), CounterReading.class);
    }

    /** Console bytes from {@code offset}; the next offset to ask for is in {@link ConsoleChunk#nextOffset()}. */
    public ConsoleChunk console(String name, long offset) {
        return execute(new Operation.Console(name, offset), ConsoleChunk.class);
    }

    public List<VmEvent> events(String vm, long after, int limit) {
        return execute(new Operation.Events(vm, after, limit), JSON.getTypeFactory().constructCollectionType(List.class, VmEvent.class));
    }

    /**
     * Streams events (SSE) after {@code after}, optionally of one VM, to {@code sink} until it
     * returns false or the daemon goes away. Blocks the calling thread.
     */
    public void follow(String vm, long after, Predicate<VmEvent> sink) {
        String q = RouteTable.EVENT_STREAM + "?after=" + after + (vm == null ? "" : "&vm=" + java.net.URLEncoder.encode(vm, StandardCharsets.UTF_8));
        InputStreamResponseListener listener = new InputStreamResponseListener();
        Request req = newRequest(HttpMethod.GET, q, null).headers(h -> h.put("Accept", "text/event-stream"))
                .timeout(0, TimeUnit.SECONDS).idleTimeout(0, TimeUnit.SECONDS);
        req.send(listener);
        try {
            Response resp = listener.get(30, TimeUnit.SECONDS);
            if (resp.getStatus() != 200) {
                // the daemon's error (e.g. FORBIDDEN) as it sent it
                byte[] body = listener.getInputStream().readNBytes(64 * 1024);
                check(resp.getStatus(), new String(body, StandardCharsets.UTF_8));
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

    /** Checkpoints a RUNNING or PAUSED VM. */
    public CheckpointManifest checkpoint(String name, boolean live, String tag) {
        return execute(new Operation.Checkpoint(name, live, tag), CheckpointManifest.class);
    }

    /** Verifies and restores checkpoint {@code id} as VM {@code name} (null: the original name). */
    public VmStatus restore(String id, String name, boolean wait, Duration timeout) {
        return execute(new Operation.Restore(id, name, wait, seconds(timeout)), VmStatus.class);
    }

    /** Checkpoints a VM and stops its QEMU (SUSPENDED). */
    public CheckpointManifest suspend(String name) {
        return execute(new Operation.Suspend(name), CheckpointManifest.class);
    }

    /** Restores a SUSPENDED VM on the daemon's node. */
    public VmStatus wake(String name, Duration timeout) {
        return execute(new Operation.Wake(name, true, seconds(timeout), null), VmStatus.class);
    }

    /**
     * Restores a SUSPENDED VM on the node of the daemon at {@code nodeUrl} (from the shared store);
     * this daemon then forgets it. This daemon authenticates there with its node certificate.
     */
    public VmStatus wakeOn(String name, String nodeUrl, Duration timeout) {
        return execute(new Operation.Wake(name, true, seconds(timeout), nodeUrl), VmStatus.class);
    }

    /** The checkpoint a SUSPENDED VM wakes from. */
    public CheckpointManifest suspendCheckpoint(String name) {
        return execute(new Operation.SuspendCheckpoint(name), CheckpointManifest.class);
    }

    /** Complete checkpoints, oldest first, of one VM or (null) all. */
    public List<CheckpointManifest> checkpoints(String vm) {
        return execute(new Operation.ListCheckpoints(vm), JSON.getTypeFactory().constructCollectionType(List.class, CheckpointManifest.class));
    }

    /** One checkpoint's manifest; with {@code verify}, after checking every file's SHA-256. */
    public CheckpointManifest checkpointInfo(String id, boolean verify) {
        return execute(new Operation.GetCheckpoint(id, verify), CheckpointManifest.class);
    }

    /** Deletes a checkpoint; returns the files removed (layers still needed stay). */
    public List<String> deleteCheckpoint(String id) {
        return JSON.convertValue(execute(new Operation.DeleteCheckpoint(id), JsonNode.class).path("deleted"),
                new TypeReference<List<String>>() { });
    }

    /** Keeps the newest {@code keep} checkpoints of {@code vm}; returns the deleted ids. */
    public List<String> prune(String vm, int keep) {
        return JSON.convertValue(execute(new Operation.PruneCheckpoints(vm, keep), JsonNode.class).path("deleted"),
                new TypeReference<List<String>>() { });
    }

    /** Announces a predicted failure of {@code node} in {@code in} to the daemon's fault-tolerance executor. */
    public void predict(String node, Duration in, double confidence) {
        execute(new Operation.Predict(node, in.toMillis() / 1000.0, confidence), JsonNode.class);
    }

    /**
     * A predicted failure for this daemon's fault-tolerance executor; {@code slurm} false keeps a Slurm
     * compute node's daemon from also draining the node and moving its job VMs (the caller does that).
     * Returns the daemon's answer ({@code accepted}, and {@code slurm} with what it does there).
     */
    public JsonNode predict(String node, Duration in, double confidence, boolean slurm) {
        return execute(new Operation.Predict(node, in.toMillis() / 1000.0, confidence, slurm), JsonNode.class);
    }

    /** The deployment records of the Slurm jobs with a VSE on the node ({@code $HPCVIRT_HOME/vse/JOB.json}). */
    public List<Map<String, Object>> jobRecords() {
        return execute(new Operation.ListJobRecords(), JSON.getTypeFactory().constructCollectionType(List.class,
                JSON.getTypeFactory().constructMapType(java.util.LinkedHashMap.class, String.class, Object.class)));
    }

    /** Replaces job {@code job}'s deployment record on the node (record null: unchanged) and publishes {@code note} (null: none). */
    public void putJobRecord(String job, Map<String, Object> record, String note) {
        execute(new Operation.PutJobRecord(job, record, note), JsonNode.class);
    }

    /** The daemon's fault-tolerance view: node name and watched VMs. */
    public JsonNode ft() {
        return execute(new Operation.FtStatus(), JsonNode.class);
    }

    /**
     * Live-migrates a RUNNING VM to the daemon at {@code to} (its {@code https://HOST:PORT}) over
     * {@code channels} parallel connections; this daemon authenticates there with its node
     * certificate (mutual TLS; the state itself goes over QEMU's own, plain TCP stream). Returns once the destination runs it. Null arguments take the daemon's defaults.
     */
    public MigrationReport migrate(String name, String to, Long maxDowntimeMs, Long bandwidth, Integer channels, Duration timeout) {
        return execute(new Operation.Migrate(name, to, maxDowntimeMs, bandwidth, channels, timeout == null ? null : seconds(timeout)),
                MigrationReport.class);
    }

    /** Like {@link #migrate(String, String, Long, Long, Integer, Duration)} with the default number of channels. */
    public MigrationReport migrate(String name, String to, long maxDowntimeMs, long bandwidth, Duration timeout) {
        return migrate(name, to, maxDowntimeMs, bandwidth, null, timeout);
    }

    /** Injects a fault into a RUNNING VM; see {@link Operation.Inject}. */
    public InjectionReport inject(Operation.Inject op) {
        return execute(op, InjectionReport.class);
    }

    /** Whole seconds, a positive fraction rounded up; zero and negative values go to the daemon, which refuses them. */
    private static int seconds(Duration d) {
        long s = d.toSeconds() + (d.toNanosPart() > 0 && !d.isNegative() ? 1 : 0);
        return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, s));
    }

    /**
     * Asks the daemon serving {@code layout} to stop and waits until it no longer answers (its VMs
     * keep running). Returns false at once if none runs. Waits at most about {@code timeout} in any
     * step: a daemon that accepts connections but does not answer is an error naming its pid.
     *
     * @return whether a daemon ran and is now stopped
     * @throws HpcvirtException TIMEOUT if it does not answer, or still answers after {@code timeout}
     */
    public static boolean stop(NodeLayout layout, Duration timeout) {
        return DaemonLauncher.stop(layout, timeout);
    }

    /** Asks the daemon to stop (its VMs keep running). */
    public void stopDaemon() {
        try {
            execute(new Operation.StopDaemon(), JsonNode.class);
        } catch (HpcvirtException e) {
            // the daemon may close the connection before its answer arrives; that is the point
            if (e.code() != ErrorCode.DAEMON_UNAVAILABLE) {
                throw e;
            }
        }
    }

    // ---------------------------------------------------------------- plumbing

    /** A daemon's answer: status, the console's next offset header, body. */
    private record Answer(int status, String nextOffset, byte[] body) {
    }

    /** One request: over the Unix socket without an HTTP client, over TCP with Jetty's. */
    private Answer exchange(String method, String path, Object body) {
        String json;
        try {
            json = body == null ? null : JSON.writeValueAsString(body);
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.INTERNAL, "cannot encode request", e);
        }
        if (socket != null) {
            try {
                UnixHttp.Response r = UnixHttp.send(socket, method, path, json, null, requestTimeout);
                return new Answer(r.status(), r.header("X-Next-Offset"), r.body());
            } catch (IOException e) {
                throw new HpcvirtException(ErrorCode.DAEMON_UNAVAILABLE, "daemon at " + endpoint + " did not answer"
                        + (e instanceof java.net.SocketTimeoutException ? " within " + requestTimeout.toSeconds() + " s" : ""), e);
            }
        }
        Request r = newRequest(HttpMethod.fromString(method), path, json);
        try {
            ContentResponse c = r.send();
            return new Answer(c.getStatus(), c.getHeaders().get("X-Next-Offset"), c.getContent());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HpcvirtException(ErrorCode.DAEMON_UNAVAILABLE, "interrupted");
        } catch (Exception e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof javax.net.ssl.SSLException ssl) {
                    throw new HpcvirtException(ErrorCode.DAEMON_UNAVAILABLE, "TLS with the daemon at " + endpoint + " failed: "
                            + ssl.getMessage(), e);
                }
            }
            throw new HpcvirtException(ErrorCode.DAEMON_UNAVAILABLE, "daemon at " + endpoint + " did not answer", e);
        }
    }

    private Request newRequest(HttpMethod method, String path, String json) {
        Request r = http().newRequest(base + path).transport(socket != null ? new Transport.TCPUnix(socket) : Transport.TCP_IP)
                .method(method)
                .timeout(requestTimeout.toMillis(), TimeUnit.MILLISECONDS);
        if (token != null) {
            r.headers(h -> h.put("Authorization", "Bearer " + token));
        }
        if (json != null) {
            r.body(new StringRequestContent("application/json", json));
        }
        return r;
    }

    private static void check(int status, String text) {
        if (status / 100 == 2) {
            return;
        }
        String code = "INTERNAL";
        String message = "HTTP " + status + ": " + text;
        Map<String, Object> details = Map.of();
        try {
            JsonNode n = JSON.readTree(text);
            code = n.path("code").asText("INTERNAL");
            message = n.path("message").asText(text);
            if (n.path("details").isObject()) {
                details = JSON.convertValue(n.path("details"), new TypeReference<Map<String, Object>>() { });
            }
        } catch (IOException e) {
            // not our error format: keep the status and text
        }
        throw new HpcvirtException(ErrorCode.fromName(code), message, details);
    }

    @Override
    public synchronized void close() {
        if (http == null) {
            return;
        }
        try {
            http.stop();
        } catch (Exception e) {
            // closing
        }
    }
}
