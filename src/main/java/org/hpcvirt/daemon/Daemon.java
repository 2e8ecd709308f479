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
import java.nio.file.attribute.PosixFilePermissions;
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
import org.hpcvirt.api.NodeConfig;
import org.hpcvirt.api.Operation;
import org.hpcvirt.api.RequestContext;
import org.hpcvirt.backend.Backends;
import org.hpcvirt.metrics.MetricsAddress;
import org.hpcvirt.metrics.MetricsServer;
import org.hpcvirt.vm.ConsoleChunk;
import org.hpcvirt.vm.NodeLayout;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;

/**
 * {@code hpcvirtd}: one per node. Opens the store, re-attaches to running VMs, then serves the API
 * on {@code $HPCVIRT_HOME/hpcvirtd.sock} until {@link #close()} or {@code POST /v1/daemon/stop}.
 * {@code GET /metrics} answers the node's Prometheus metrics there (and over TCP, to an authenticated caller);
 * with a {@link MetricsAddress} they are also served on a plain-HTTP listener of their own
 * ({@link MetricsServer}, {@code /metrics} only, no token).
 * Stopping the daemon leaves every QEMU running. Not reentrant: one daemon per home (a second one
 * fails because the socket answers).
 */
public final class Daemon implements AutoCloseable {
    private final NodeLayout layout;
    private final NodeServices node;
    private final Javalin app;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final TcpListener tcp;
    private final String openApi;
    private org.eclipse.jetty.server.ServerConnector tcpConnector;
    private MetricsServer metricsServer;

    private Daemon(NodeLayout layout, BackendRegistry backends, TcpListener tcp) {
        this.tcp = tcp;
        this.layout = layout.ensure();
        this.node = new NodeServices(layout, backends, NodeConfig.current(), tcp, this::close);
        this.openApi = OpenApi.document();
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
                    tcpConnector = TlsConnectors.server(server, http, tcp);
                    return tcpConnector;
                });
                cfg.routes.before(ctx -> PeerAuth.check(ctx, tcp));
            }
            cfg.routes.exception(Exception.class, ApiErrors::handle);
            routes(cfg.routes);
        });
    }

    /** The default backends of a node: qemu (TCG) and kvm. */
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
     * Like {@link #start(NodeLayout)}, and also serves the API on {@code tcp} (mutual TLS or a
     * scoped token; plain TCP only under the lab switch, see {@link TcpListener}) unless it is null.
     *
     * @throws HpcvirtException ALREADY_EXISTS if another daemon serves this home
     */
    public static Daemon start(NodeLayout layout, TcpListener tcp) {
        return start(layout, tcp, null);
    }

    /**
     * Like {@link #start(NodeLayout, TcpListener)}, and also serves the metrics on a plain-HTTP
     * listener at {@code metrics} unless it is null.
     *
     * @throws HpcvirtException ALREADY_EXISTS if another daemon serves this home; OPERATION_FAILED if
     *         the metrics address cannot be bound
     */
    public static Daemon start(NodeLayout layout, TcpListener tcp, MetricsAddress metrics) {
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
        try {
            lockDown(layout);
        } catch (RuntimeException e) {
            d.node.close();
            throw e;
        }
        if (tcp != null && !tcp.secure()) {
            System.err.println("hpcvirtd: WARNING: plain TCP on " + tcp.url() + " (lab switch): tokens and requests travel in clear, "
                    + "no node is authenticated by a certificate; use --tls DIR outside a lab");
        }
        if (metrics != null) {
            try {
                d.metricsServer = MetricsServer.start(metrics, d.node.metrics());
            } catch (RuntimeException e) {
                d.node.close();
                throw e;
            }
        }
        d.node.events().publish(VmEvent.of(null, VmEvent.Type.DAEMON_STARTED, null,
                "daemon started (pid " + ProcessHandle.current().pid() + ")", Map.of("pid", ProcessHandle.current().pid())));
        d.node.recover();
        d.app.start();
        try {
            // every local user may connect; what each may do is decided per request by its peer credentials
            Files.setPosixFilePermissions(sock, PosixFilePermissions.fromString("rw-rw-rw-"));
            Files.writeString(layout.daemonPidFile(), ProcessHandle.current().pid() + "\n");
        } catch (IOException e) {
            d.close();
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot write " + layout.daemonPidFile(), e);
        }
        return d;
    }

    /**
     * Keeps local users out of the node's files while letting them reach the socket: the home may be
     * traversed but not listed (0711), the database, the VM and run directories (QEMU monitors,
     * consoles, disks) and the checkpoint store (guest memory) are the daemon's alone (0700/0600). Images stay as they are (golden images
     * are no secret). Idempotent.
     */
    private static void lockDown(NodeLayout layout) {
        try {
            Files.setPosixFilePermissions(layout.home(), PosixFilePermissions.fromString("rwx--x--x"));
            // the checkpoint store holds every user's guest memory and disks: the daemons' alone (they run as root on every node)
            Files.createDirectories(layout.checkpointStore());
            for (Path dir : List.of(layout.home().resolve("vms"), layout.home().resolve("run"), layout.checkpointStore())) {
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            }
            Path db = layout.database();
            for (Path f : List.of(db, db.resolveSibling(db.getFileName() + "-wal"), db.resolveSibling(db.getFileName() + "-shm"),
                    layout.daemonLog())) {
                if (Files.exists(f)) {
                    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
                }
            }
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot set the permissions of " + layout.home() + ": " + e.getMessage(), e);
        }
    }

    /** The node's dispatcher: every operation the daemon serves. */
    public org.hpcvirt.vm.Dispatcher dispatcher() {
        return node.dispatcher();
    }

    /** The bound TCP port, or -1 without a TCP listener. */
    public int tcpPort() {
        return tcpConnector == null ? -1 : tcpConnector.getLocalPort();
    }

    /** The URL of the metrics listener, or null without one. */
    public String metricsUrl() {
        return metricsServer == null ? null : metricsServer.url();
    }

    /** Blocks until the daemon is asked to stop. */
    public void awaitStop() throws InterruptedException {
        stopped.await();
    }

    /** One REST route per row of the {@link RouteTable}, the event stream, the API document and the metrics. */
    private void routes(io.javalin.config.RoutesConfig r) {
        for (RouteTable.Route route : RouteTable.all()) {
            io.javalin.http.Handler h = ctx -> serve(ctx, route);
            switch (route.method()) {
                case "GET" -> r.get(route.path(), h);
                case "POST" -> r.post(route.path(), h);
                case "DELETE" -> r.delete(route.path(), h);
                default -> throw new IllegalStateException("method " + route.method());
            }
        }
        // admitted by the same rule as the event history before the stream opens (a VM the caller may
        // not see is FORBIDDEN); other users' events are then left out of it
        r.before(RouteTable.EVENT_STREAM, ctx -> node.dispatcher().execute(
                new Operation.Events(emptyToNull(ctx.queryParam("vm")), longParam(ctx, "after", 0), 1), requestContext(ctx)));
        r.sse(RouteTable.EVENT_STREAM, this::stream);
        r.get(RouteTable.OPENAPI, ctx -> ctx.contentType("application/json").result(openApi));
        r.get(MetricsServer.PATH, ctx -> {
            // the metrics name every VM of every user: for those who may see them all
            org.hpcvirt.api.Caller c = requestContext(ctx).caller();
            if (!node.authorizer().seesAll(c)) {
                throw new HpcvirtException(ErrorCode.FORBIDDEN, "the node's metrics show every user's VMs: they are for administrators "
                        + "(root and members of group " + node.users().adminGroup() + "), not " + c.name());
            }
            ctx.contentType(node.metrics().contentType()).result(node.metrics().scrape());
        });
    }

    private void serve(Context ctx, RouteTable.Route route) {
        Operation op = OperationBinder.bind(route, ctx.pathParamMap(), ctx.queryParamMap(), ctx.body());
        Object result = node.dispatcher().execute(op, requestContext(ctx));
        ctx.status(route.status());
        switch (route.body()) {
            case NONE -> { }
            case BYTES -> {
                ConsoleChunk chunk = (ConsoleChunk) result;
                ctx.header("X-Next-Offset", Long.toString(chunk.nextOffset()));
                ctx.contentType("application/octet-stream").result(chunk.data());
            }
            case JSON -> ctx.json(result);
        }
    }

    /**
     * How the request arrived and who sent it: over TCP (another node or a tool; authenticated by
     * {@link PeerAuth} before this runs) with the address it reached, or over the Unix socket by
     * the local user the kernel names ({@link PeerCredentials}).
     */
    private RequestContext requestContext(Context ctx) {
        ServletContextRequest r = ServletContextRequest.getServletContextRequest(ctx.req());
        SocketAddress local = r == null ? null : r.getConnectionMetaData().getLocalSocketAddress();
        if (local instanceof InetSocketAddress in && in.getAddress() != null) {
            return new RequestContext("tcp", in.getAddress().getHostAddress(), PeerAuth.caller(ctx));
        }
        return new RequestContext("unix", null, node.users().caller(PeerCredentials.of(r)));
    }

    /** SSE: every persisted event after {@code after} (optionally of one VM), then live ones, in order. */
    private void stream(SseClient client) {
        Context ctx = client.ctx();
        String vm = emptyToNull(ctx.queryParam("vm"));
        long after = longParam(ctx, "after", 0);
        RequestContext rc = requestContext(ctx);
        org.hpcvirt.access.Authorizer auth = node.authorizer();
        LinkedBlockingQueue<VmEvent> queue = new LinkedBlockingQueue<>(100_000);
        Consumer<VmEvent> sub = ev -> {
            if ((vm == null || vm.equals(ev.vm())) && auth.maySee(rc.caller(), ev.vm())) {
                queue.offer(ev);
            }
        };
        List<VmEvent> backlog = node.events().subscribe(sub, vm, after);
        client.keepAlive();
        try {
            long last = after;
            for (VmEvent ev : backlog) {
                if (auth.maySee(rc.caller(), ev.vm())) {
                    send(client, ev);
                }
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
            node.events().unsubscribe(sub);
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
            node.events().publish(VmEvent.of(null, VmEvent.Type.DAEMON_STOPPING, null, "daemon stopping; VMs keep running"));
        } catch (RuntimeException e) {
            // store may already be unusable; stop anyway
        }
        stopped.countDown();
        if (metricsServer != null) {
            metricsServer.close();
        }
        app.stop();
        node.close();
        try {
            Files.deleteIfExists(layout.daemonPidFile());
            Files.deleteIfExists(layout.daemonSocket());
        } catch (IOException e) {
            // leftovers are detected as stale at the next start
        }
    }
}
