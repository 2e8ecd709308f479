package org.hpcvirt.daemon;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.io.EndPoint;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/**
 * The local user at the other end of a request over the node's Unix socket, as the kernel reports
 * it ({@code SO_PEERCRED}: the credentials of the process that connected). Nothing the client sends
 * is believed. Stateless and thread-safe.
 */
final class PeerCredentials {
    private PeerCredentials() {
    }

    /**
     * The user name of the peer of {@code request}'s connection (a number when the uid has no name).
     *
     * @throws HpcvirtException UNAUTHORIZED if the connection is not a Unix-domain socket or the
     *         kernel does not name the peer
     */
    static String of(ServletContextRequest request) {
        Object transport = null;
        if (request != null) {
            EndPoint ep = request.getConnectionMetaData().getConnection().getEndPoint();
            transport = ep == null ? null : ep.getTransport();
        }
        if (!(transport instanceof SocketChannel ch)) {
            throw new HpcvirtException(ErrorCode.UNAUTHORIZED, "the caller of a request over the node socket cannot be identified");
        }
        try {
            UnixDomainPrincipal p = ch.getOption(ExtendedSocketOptions.SO_PEERCRED);
            return p.user().getName();
        } catch (IOException | UnsupportedOperationException e) {
            throw new HpcvirtException(ErrorCode.UNAUTHORIZED, "the kernel does not name the caller of a request over the node socket: "
                    + e.getMessage());
        }
    }
}
