package org.hpcvirt.daemon;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Tells whether a daemon answers on a Unix socket, with a tiny raw HTTP request and no client set-up. */
final class DaemonProbe {
    private DaemonProbe() {
    }

    static boolean answers(Path socket) {
        if (!Files.exists(socket)) {
            return false;
        }
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.write(ByteBuffer.wrap("GET /v1/node HTTP/1.1\r\nHost: hpcvirtd\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer buf = ByteBuffer.allocate(64);
            int n = ch.read(buf);
            return n > 0 && new String(buf.array(), 0, n, StandardCharsets.US_ASCII).startsWith("HTTP/1.1 200");
        } catch (Exception e) {
            return false;
        }
    }
}
