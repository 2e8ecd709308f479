package org.hpcvirt.metrics;

import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/**
 * The plain-HTTP listener of {@code --metrics ADDR:PORT}: {@code GET /metrics} (and {@code HEAD})
 * answers {@link NodeMetrics#scrape()}; every other path is 404 and every other method 405. No
 * token: it exposes numbers only, no VM control and no VM data beyond names and states.
 *
 * <p>Why a Jetty server of its own rather than a connector of the daemon's Javalin server or the
 * Prometheus client's {@code HTTPServer}: a second connector would share the API's routes (every one
 * of them would have to be filtered out, and one forgotten is VM control without a token) and the
 * API's thread pool (where requests can be parked on a VM's monitor); this server has one handler
 * and its own small pool, so a scrape never queues behind API requests and nothing but
 * {@code /metrics} exists on it. Jetty is in the product already; the client's {@code HTTPServer}
 * would add the JDK's HttpServer with its own extra paths and the protobuf exposition jar.
 * Thread-safe; {@link #close()} stops it.
 */
public final class MetricsServer implements AutoCloseable {
    /** The only path served. */
    public static final String PATH = "/metrics";

    private final Server server;
    private final ServerConnector connector;
    private final MetricsAddress address;

    private MetricsServer(Server server, ServerConnector connector, MetricsAddress address) {
        this.server = server;
        this.connector = connector;
        this.address = address;
    }

    /**
     * Binds {@code address} and serves {@code metrics} there.
     *
     * @throws HpcvirtException OPERATION_FAILED if the address cannot be bound (in use, not of this host)
     */
    public static MetricsServer start(MetricsAddress address, NodeMetrics metrics) {
        QueuedThreadPool pool = new QueuedThreadPool(6, 2);
        pool.setName("metrics-http");
        pool.setDaemon(true);
        Server server = new Server(pool);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        ServerConnector c = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
        c.setHost(address.host());
        c.setPort(address.port());
        c.setIdleTimeout(30_000);
        server.addConnector(c);
        server.setHandler(new MetricsHandler(metrics));
        try {
            server.start();
        } catch (Exception e) {
            try {
                server.stop();
            } catch (Exception ignored) {
                // nothing was served
            }
            // the message chain names the reason ("Failed to bind to /127.0.0.1:9464: Address already in use")
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot listen for metrics on " + address, e);
        }
        return new MetricsServer(server, c, address);
    }

    /** The bound port (the chosen one if the address asked for port 0). */
    public int port() {
        return connector.getLocalPort();
    }

    /** The URL scrapers use. */
    public String url() {
        return "http://" + new MetricsAddress(address.host(), port()) + PATH;
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            // stopping anyway
        }
    }

    /** {@code /metrics} only, GET or HEAD only. */
    private static final class MetricsHandler extends Handler.Abstract {
        private final NodeMetrics metrics;

        MetricsHandler(NodeMetrics metrics) {
            this.metrics = metrics;
        }

        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            if (!PATH.equals(Request.getPathInContext(request))) {
                Response.writeError(request, response, callback, HttpStatus.NOT_FOUND_404, "only " + PATH + " is served here");
                return true;
            }
            boolean head = HttpMethod.HEAD.is(request.getMethod());
            if (!head && !HttpMethod.GET.is(request.getMethod())) {
                response.getHeaders().put(HttpHeader.ALLOW, "GET, HEAD");
                Response.writeError(request, response, callback, HttpStatus.METHOD_NOT_ALLOWED_405, "GET or HEAD only");
                return true;
            }
            byte[] body = metrics.scrape();
            response.setStatus(HttpStatus.OK_200);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, metrics.contentType());
            response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
            response.write(true, head ? ByteBuffer.allocate(0) : ByteBuffer.wrap(body), callback);
            return true;
        }
    }
}
