package org.hpcvirt.daemon;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.backend.Migratable;
import org.hpcvirt.profile.VmProfile;
import org.hpcvirt.vm.VmService;

/**
 * REST routes of live migration: the source's {@code POST /v1/vms/{name}/migrate} and the
 * destination's {@code /v1/migrations/incoming…} steps, which source daemons call over TCP with
 * the token (see {@link RemotePeer}). Routes only translate: the logic lives in {@link VmService}.
 */
final class MigrationRoutes {
    private MigrationRoutes() {
    }

    /** POST /v1/vms/{name}/migrate: {@code to} is the destination daemon's URL; bandwidth in bytes/s, 0 = unlimited. */
    record Migrate(String to, Long maxDowntimeMs, Long bandwidth, Integer channels, Integer timeoutSeconds) {
    }

    /** POST /v1/migrations/incoming. */
    record Incoming(VmProfile profile, String disk, String from, Integer channels) {
    }

    /** POST /v1/migrations/incoming/{name}/resume and …/await. */
    record Wait(Integer timeoutSeconds) {
    }

    /** A request's {@code channels}: the default when absent, else 1 … {@link Migratable.MigrateOptions#MAX_CHANNELS}. */
    private static int channels(Integer requested, int dflt) {
        int c = requested == null ? dflt : requested;
        if (c < 1 || c > Migratable.MigrateOptions.MAX_CHANNELS) {
            throw HpcvirtException.invalid("request body: channels must be between 1 and " + Migratable.MigrateOptions.MAX_CHANNELS
                    + ", not " + c);
        }
        return c;
    }

    static void register(RoutesConfig r, VmService vms, TcpListener tcp) {
        r.post("/v1/vms/{name}/migrate", ctx -> {
            Migrate req = Daemon.body(ctx, Migrate.class);
            if (req.to() == null || req.to().isBlank()) {
                throw HpcvirtException.invalid("request body: field 'to' (the destination daemon's URL) is required");
            }
            if (tcp == null) {
                throw HpcvirtException.invalid("this daemon has no cluster token: start it with --listen ADDR:PORT --token-file F"
                        + " to migrate to other nodes");
            }
            long downtime = req.maxDowntimeMs() == null ? 300 : req.maxDowntimeMs();
            if (downtime < 1 || downtime > 60_000) {
                throw HpcvirtException.invalid("request body: maxDowntimeMs must be between 1 and 60000, not " + downtime);
            }
            long bw = req.bandwidth() == null ? 0 : req.bandwidth();
            if (bw < 0) {
                throw HpcvirtException.invalid("request body: bandwidth must not be negative");
            }
            Duration timeout = Duration.ofSeconds(Daemon.seconds(req.timeoutSeconds(), 600, "timeoutSeconds"));
            int channels = channels(req.channels(), Migratable.MigrateOptions.DEFAULT_CHANNELS);
            try (RemotePeer peer = new RemotePeer(req.to(), tcp.token(), ownUrl(tcp))) {
                ctx.json(vms.migrate(ctx.pathParam("name"), peer, new Migratable.MigrateOptions(Duration.ofMillis(downtime), bw, timeout,
                        channels), Duration.ofSeconds(60)));
            }
        });
        r.post("/v1/migrations/incoming", ctx -> {
            Incoming req = Daemon.body(ctx, Incoming.class);
            if (req.profile() == null) {
                throw HpcvirtException.invalid("request body: field 'profile' is required");
            }
            ctx.status(201).json(vms.prepareIncoming(req.profile(), req.disk() == null ? null : Path.of(req.disk()),
                    localAddress(ctx, tcp), req.from() == null ? "?" : req.from(), channels(req.channels(), 1)));
        });
        r.post("/v1/migrations/incoming/{name}/resume", ctx -> {
            Wait req = Daemon.body(ctx, Wait.class);
            long ms = vms.resumeIncoming(ctx.pathParam("name"), Duration.ofSeconds(Daemon.seconds(req.timeoutSeconds(), 60, "timeoutSeconds")));
            ctx.json(Map.of("waitedMs", ms));
        });
        r.post("/v1/migrations/incoming/{name}/await", ctx -> {
            Wait req = Daemon.body(ctx, Wait.class);
            ctx.json(vms.awaitIncomingRunning(ctx.pathParam("name"),
                    Duration.ofSeconds(Daemon.seconds(req.timeoutSeconds(), 60, "timeoutSeconds"))));
        });
        r.delete("/v1/migrations/incoming/{name}", ctx -> ctx.json(Map.of("qemuGone", vms.abortIncoming(ctx.pathParam("name")))));
    }

    private static String ownUrl(TcpListener tcp) {
        return "http://" + tcp.host() + ":" + tcp.port();
    }

    /**
     * The address the request arrived at: the source reached this node there, so it can reach the
     * incoming QEMU there too. Over the Unix socket: the listener's address, else loopback.
     */
    private static String localAddress(Context ctx, TcpListener tcp) {
        ServletContextRequest r = ServletContextRequest.getServletContextRequest(ctx.req());
        SocketAddress local = r == null ? null : r.getConnectionMetaData().getLocalSocketAddress();
        if (local instanceof InetSocketAddress in && in.getAddress() != null) {
            return in.getAddress().getHostAddress();
        }
        return tcp != null && !tcp.host().isBlank() && !"0.0.0.0".equals(tcp.host()) ? tcp.host() : "127.0.0.1";
    }
}
