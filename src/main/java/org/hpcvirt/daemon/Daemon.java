package org.hpcvirt.daemon;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.sse.SseClient;
import io.javalin.json.JavalinJackson;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.unixdomain.server.UnixDomainServerConnector;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Json;
import org.hpcvirt.api.VmEvent;
import org.hpcvirt.backend.BackendRegistry;
import org.hpcvirt.backend.Backends;
import org.hpcvirt.guest.ImageStore;
import org.hpcvirt.profile.HostLimits;
import org.hpcvirt.profile.ProfileLoader;
import org.hpcvirt.profile.VmProfile;
import org.hpcvirt.vm.EventBus;
import org.hpcvirt.vm.NodeLayout;
import org.hpcvirt.vm.VmService;
import org.hpcvirt.vm.store.VmStore;

/**
 * {@code hpcvirtd}: one per node. Opens the store, re-attaches to running VMs, then serves the API
 * on {@code $HPCVIRT_HOME/hpcvirtd.sock} until {@link #close()} or {@code POST /v1/daemon/stop}.
 * Stopping the daemon leaves every QEMU running. Not reentrant: one daemon per home (a second one
 * fails because the socket answers).
 */
public final class Daemon implements AutoCloseable {
    private final NodeLayout layout;
    private final VmStore store;
    private final VmService vms;
    private final FtSupport ft;
    private final ProfileLoader profiles;
    private final Javalin app;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final long startedAt = System.currentTimeMillis();
    private final TcpListener tcp;
    private org.eclipse.jetty.server.ServerConnector tcpConnector;

    /** Environment variable: frozen disk layers after which a VM's disk chain is flattened (see {@link VmService#setMaxDiskLayers}). */
    public static final String ENV_MAX_DISK_LAYERS = "HPCVIRT_MAX_DISK_LAYERS";

    /** {@code $HPCVIRT_MAX_DISK_LAYERS}, or the default if unset or empty. */
    static int maxDiskLayers(String env) {
        if (env == null || env.isBlank()) {
            return VmService.DEFAULT_MAX_DISK_LAYERS;
        }
        int n;
        try {
            n = Integer.parseInt(env.trim());
        } catch (NumberFormatException e) {
            throw HpcvirtException.invalid(ENV_MAX_DISK_LAYERS + ": '" + env + "' is not a whole number");
        }
        try {
            return VmService.checkedMaxDiskLayers(n);
        } catch (HpcvirtException e) {
            throw HpcvirtException.invalid(ENV_MAX_DISK_LAYERS + ": " + e.getMessage());
        }
    }

    private Daemon(NodeLayout layout, BackendRegistry backends, TcpListener tcp) {
        this.tcp = tcp;
        this.layout = layout.ensure();
        this.store = new VmStore(layout.database());
        EventBus bus = new EventBus(store);
        this.vms = new VmService(layout, backends, new ImageStore(canonical(layout.images())), store, bus);
        vms.setMaxDiskLayers(maxDiskLayers(System.getenv(ENV_MAX_DISK_LAYERS)));
        this.ft = new FtSupport(vms, layout, FtSupport.nodeName(), tcp);
        this.profiles = new ProfileLoader(HostLimits.detect());
        ObjectMapper json = Json.mapper();
        Path sock = layout.daemonSocket();
        this.app = Javalin.create(cfg -> {
            cfg.jsonMapper(new JavalinJackson(json, false));
            cfg.startup.showJavalinBanner = false;
            cfg.jetty.addConnector((server, http) -> {
                UnixDomainServerConnector c = new UnixDomainServerConnector(server, new HttpConnectionFactory(http));
                c.setUnixDomainPath(sock);
                return c;
            });
            if (tcp != null) {
                cfg.jetty.addConnector((server, http) -> {
                    tcpConnector = new org.eclipse.jetty.server.ServerConnector(server, new HttpConnectionFactory(http));
                    tcpConnector.setHost(tcp.host());
                    tcpConnector.setPort(tcp.port());
                    return tcpConnector;
                });
                cfg.routes.before(ctx -> PeerAuth.check(ctx, tcp));
            }
            cfg.routes.exception(Exception.class, ApiErrors::handle);
            routes(cfg.routes);
        });
    }

    /**
     * The images directory with symbolic links resolved: disk chains record the base image by this
     * path, and checkpoints restored on another node need the same path there.
     */
    private static Path canonical(Path images) {
        try {
            return images.toRealPath();
        } catch (IOException e) {
            return images;
        }
    }

    /** The default backends of a node: qemu (TCG) and kvm ({@link Backends#defaults()}). */
    public static BackendRegistry defaultBackends() {
        return Backends.defaults();
    }

    /**
     * Starts a daemon for {@code home}: re-attaches to its VMs and starts serving.
     *
     * @throws HpcvirtException ALREADY_EXISTS if another daemon serves this home
     */
    public static Daemon start(NodeLayout layout) {
        return start(layout, null);
    }

    /**
     * Like {@link #start(NodeLayout)}, and also serves the API on {@code tcp} (token required)
     * unless it is null.
     *
     * @throws HpcvirtException ALREADY_EXISTS if another daemon serves this home
     */
    public static Daemon start(NodeLayout layout, TcpListener tcp) {
        layout.ensure();
        Path sock = layout.daemonSocket();
        if (Files.exists(sock)) {
            if (DaemonProbe.answers(sock)) {
                throw new HpcvirtException(ErrorCode.ALREADY_EXISTS, "a daemon already serves " + layout.home());
            }
            try {
                Files.delete(sock);
            } catch (IOException e) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot remove stale socket " + sock, e);
            }
        }
        Daemon d = new Daemon(layout, defaultBackends(), tcp);
        d.vms.events().publish(VmEvent.of(null, VmEvent.Type.DAEMON_STARTED, null,
                "daemon started (pid " + ProcessHandle.current().pid() + ")", Map.of("pid", ProcessHandle.current().pid())));
        d.vms.recover();
        d.ft.watchRunning();
        d.app.start();
        try {
            Files.writeString(layout.daemonPidFile(), ProcessHandle.current().pid() + "\n");
        } catch (IOException e) {
            d.close();
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot write " + layout.daemonPidFile(), e);
        }
        return d;
    }

    public VmService vms() {
        return vms;
    }

    /** The bound TCP port, or -1 without a TCP listener. */
    public int tcpPort() {
        return tcpConnector == null ? -1 : tcpConnector.getLocalPort();
    }

    /** Blocks until the daemon is asked to stop. */
    public void awaitStop() throws InterruptedException {
        stopped.await();
    }

    private void routes(io.javalin.config.RoutesConfig r) {
        r.get("/v1/node", ctx -> ctx.json(Map.of("home", layout.home().toString(), "pid", ProcessHandle.current().pid(),
                "uptimeMs", System.currentTimeMillis() - startedAt, "version", "0.1.0")));
        r.get("/v1/backends", ctx -> ctx.json(vms.backends().describe()));
        r.get("/v1/vms", ctx -> ctx.json(vms.list()));
        r.post("/v1/vms", ctx -> {
            Requests.Define req = body(ctx, Requests.Define.class);
            if (req.yaml() == null) {
                throw HpcvirtException.invalid("request body: field 'yaml' is required");
            }
            VmProfile p = profiles.parse(req.yaml(), req.source() == null ? "request" : req.source());
            ctx.status(201).json(vms.define(p));
        });
        r.get("/v1/vms/{name}", ctx -> ctx.json(vms.status(ctx.pathParam("name"))));
        r.get("/v1/vms/{name}/profile", ctx -> ctx.json(vms.profile(ctx.pathParam("name"))));
        r.post("/v1/vms/{name}/start", ctx -> {
            Requests.Start req = body(ctx, Requests.Start.class);
            boolean wait = req.waitForHeartbeat() != null && req.waitForHeartbeat();
            ctx.json(vms.start(ctx.pathParam("name"), wait, Duration.ofSeconds(seconds(req.timeoutSeconds(), 120, "timeoutSeconds"))));
        });
        r.post("/v1/vms/{name}/pause", ctx -> ctx.json(vms.pause(ctx.pathParam("name"))));
        r.post("/v1/vms/{name}/resume", ctx -> ctx.json(vms.resume(ctx.pathParam("name"))));
        r.post("/v1/vms/{name}/stop", ctx -> {
            Requests.Stop req = body(ctx, Requests.Stop.class);
            ctx.json(vms.stop(ctx.pathParam("name"), req.force() != null && req.force(),
                    Duration.ofSeconds(seconds(req.timeoutSeconds(), 30, "timeoutSeconds"))));
        });
        r.delete("/v1/vms/{name}", ctx -> {
            vms.destroy(ctx.pathParam("name"));
            ctx.status(204);
        });
        r.post("/v1/vms/{name}/exec", ctx -> {
            Requests.Exec req = body(ctx, Requests.Exec.class);
            if (req.command() == null || req.command().isBlank()) {
                throw HpcvirtException.invalid("request body: field 'command' is required");
            }
            ctx.json(vms.exec(ctx.pathParam("name"), req.command(),
                    Duration.ofSeconds(seconds(req.timeoutSeconds(), 60, "timeoutSeconds"))));
        });
        r.get("/v1/vms/{name}/counter", ctx -> ctx.json(vms.counter(ctx.pathParam("name"))));
        r.get("/v1/vms/{name}/console", this::console);
        r.get("/v1/events", ctx -> ctx.json(vms.events().history(emptyToNull(ctx.queryParam("vm")),
                longParam(ctx, "after", 0), (int) longParam(ctx, "limit", 1000))));
        r.sse("/v1/events/stream", this::stream);
        MobilityRoutes.register(r, vms, tcp);
        ft.routes(r);
        MigrationRoutes.register(r, vms, tcp);
        r.post("/v1/daemon/stop", ctx -> {
            ctx.status(202).json(Map.of("stopping", true));
            Thread t = new Thread(this::close, "daemon-stop");
            t.start();
        });
    }

    private void console(Context ctx) throws IOException {
        Path log = vms.consoleLog(ctx.pathParam("name"));
        long offset = longParam(ctx, "offset", 0);
        byte[] data = new byte[0];
        long size = Files.exists(log) ? Files.size(log) : 0;
        if (offset > size) {
            offset = 0; // a new QEMU started a new console log
        }
        if (size > offset) {
            int n = (int) Math.min(size - offset, 1 << 20);
            data = new byte[n];
            try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
                f.seek(offset);
                f.readFully(data);
            }
        }
        ctx.header("X-Next-Offset", Long.toString(offset + data.length));
        ctx.contentType("application/octet-stream").result(data);
    }

    /** SSE: every persisted event after {@code after} (optionally of one VM), then live ones, in order. */
    private void stream(SseClient client) {
        Context ctx = client.ctx();
        String vm = emptyToNull(ctx.queryParam("vm"));
        long after = longParam(ctx, "after", 0);
        LinkedBlockingQueue<VmEvent> queue = new LinkedBlockingQueue<>(100_000);
        Consumer<VmEvent> sub = ev -> {
            if (vm == null || vm.equals(ev.vm())) {
                queue.offer(ev);
            }
        };
        List<VmEvent> backlog = vms.events().subscribe(sub, vm, after);
        client.keepAlive();
        try {
            long last = after;
            for (VmEvent ev : backlog) {
                send(client, ev);
                last = ev.seq();
            }
            while (!client.terminated() && stopped.getCount() > 0) {
                VmEvent ev = queue.poll(1, TimeUnit.SECONDS);
                if (ev == null) {
                    client.sendComment("keepalive");
                } else if (ev.seq() > last) {
                    send(client, ev);
                    last = ev.seq();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            vms.events().unsubscribe(sub);
            client.close();
        }
    }

    private static void send(SseClient client, VmEvent ev) {
        try {
            client.sendEvent("vm-event", Json.mapper().writeValueAsString(ev), Long.toString(ev.seq()));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new HpcvirtException(ErrorCode.INTERNAL, "cannot encode event", e);
        }
    }

    static <T> T body(Context ctx, Class<T> type) throws IOException {
        String b = ctx.body();
        if (b.isBlank()) {
            b = "{}";
        }
        return Json.strict().readValue(b, type);
    }

    static long seconds(Integer value, int dflt, String field) {
        if (value == null) {
            return dflt;
        }
        if (value < 1 || value > 86_400) {
            throw HpcvirtException.invalid("request body: " + field + " must be between 1 and 86400, not " + value);
        }
        return value;
    }

    private static long longParam(Context ctx, String name, long dflt) {
        String v = ctx.queryParam(name);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            long l = Long.parseLong(v);
            if (l < 0) {
                throw new NumberFormatException();
            }
            return l;
        } catch (NumberFormatException e) {
            throw HpcvirtException.invalid("query parameter " + name + ": '" + v + "' is not a non-negative integer");
        }
    }

    private static String emptyToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    /** Stops serving and watching; VMs keep running. Idempotent. */
    @Override
    public synchronized void close() {
        if (stopped.getCount() == 0) {
            return;
        }
        try {
            vms.events().publish(VmEvent.of(null, VmEvent.Type.DAEMON_STOPPING, null, "daemon stopping; VMs keep running"));
        } catch (RuntimeException e) {
            // store may already be unusable; stop anyway
        }
        stopped.countDown();
        app.stop();
        ft.close();
        vms.close();
        store.close();
        try {
            Files.deleteIfExists(layout.daemonPidFile());
            Files.deleteIfExists(layout.daemonSocket());
        } catch (IOException e) {
            // leftovers are detected as stale at the next start
        }
    }
}
