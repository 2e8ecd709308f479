package org.hpcvirt.daemon;

import io.javalin.http.Context;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/**
 * Authentication of requests that arrive over TCP: they need the shared bearer token. Requests
 * over the Unix socket pass unchanged (file permissions on the socket protect them).
 */
final class PeerAuth {
    private PeerAuth() {
    }

    static void check(Context ctx, TcpListener tcp) {
        if (!overTcp(ctx)) {
            return;
        }
        if (!tcp.authorizes(ctx.header("Authorization"))) {
            throw new HpcvirtException(ErrorCode.UNAUTHORIZED, "TCP requests need 'Authorization: Bearer TOKEN' with the cluster token");
        }
    }

    /** The caller of a TCP request that passed {@link #check}: a holder of the cluster token, with every right. */
    static org.hpcvirt.api.Caller caller(Context ctx) {
        return org.hpcvirt.api.Caller.token("cluster", org.hpcvirt.api.Access.ADMIN);
    }

    private static boolean overTcp(Context ctx) {
        ServletContextRequest r = ServletContextRequest.getServletContextRequest(ctx.req());
        if (r == null) {
            // unknown transport: treat as remote, the safe side
            return true;
        }
        SocketAddress remote = r.getConnectionMetaData().getRemoteSocketAddress();
        return remote == null || remote instanceof InetSocketAddress;
    }
}
