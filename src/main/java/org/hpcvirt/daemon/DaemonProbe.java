package org.hpcvirt.daemon;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.hpcvirt.client.UnixHttp;

/**
 * Tells whether a daemon answers on a Unix socket, with a tiny raw HTTP request and no client set-up.
 * A daemon that accepts the connection but does not answer within {@link #PROBE_TIMEOUT} counts as
 * not answering, so no caller waits on a wedged daemon. Thread-safe.
 */
final class DaemonProbe {
    /** Longest a probe waits for the daemon's answer. */
    static final Duration PROBE_TIMEOUT = Duration.ofSeconds(5);

    private DaemonProbe() {
    }

    static boolean answers(Path socket) {
        return answers(socket, PROBE_TIMEOUT);
    }

    /** Whether something accepts connections on {@code socket} (answering or not). */
    static boolean accepts(Path socket) {
        if (!Files.exists(socket)) {
            return false;
        }
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            return ch.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            return false;
        }
    }

    static boolean answers(Path socket, Duration timeout) {
        if (!Files.exists(socket)) {
            return false;
        }
        try {
            return UnixHttp.send(socket, "GET", "/v1/node", null, null, timeout).status() == 200;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
