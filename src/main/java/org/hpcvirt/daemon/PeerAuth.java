package org.hpcvirt.daemon;

import io.javalin.http.Context;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.security.cert.X509Certificate;
import java.util.Optional;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.hpcvirt.api.Access;
import org.hpcvirt.api.Caller;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.cluster.ClusterAuthority;
import org.hpcvirt.cluster.ScopedTokens;

/**
 * Authentication and scope of requests that arrive over TCP. {@link #check} runs before every
 * route: a client certificate (already verified against the cluster CA by the TLS layer) makes the
 * caller {@code node:CN} (scope admin); else a known bearer token makes it {@code token:NAME} with
 * the token's scope; else 401. The dispatcher's guard then refuses (403) an operation whose
 * {@link Access} is above the caller's scope, whatever the transport. Requests over the Unix socket pass unchanged
 * (the kernel's peer credentials identify them; see {@code Daemon.requestContext}). Stateless.
 */
final class PeerAuth {
    private static final String CALLER = "hpcvirt.tcp-caller";
    private static final String X509 = "jakarta.servlet.request.X509Certificate";

    private PeerAuth() {
    }

    static void check(Context ctx, TcpListener tcp) {
        if (!overTcp(ctx)) {
            return;
        }
        ctx.attribute(CALLER, authenticate((X509Certificate[]) ctx.req().getAttribute(X509), ctx.header("Authorization"), tcp));
    }

    /**
     * Who a TCP request is: the node of its verified client certificate, else the holder of its
     * bearer token.
     *
     * @throws HpcvirtException UNAUTHORIZED if it has neither a certificate nor a known token
     */
    static Caller authenticate(X509Certificate[] chain, String authorization, TcpListener tcp) {
        if (chain != null && chain.length > 0) {
            String cn = ClusterAuthority.commonName(chain[0]);
            if (cn == null || cn.isBlank()) {
                throw new HpcvirtException(ErrorCode.UNAUTHORIZED, "the client certificate names no node (no CN)");
            }
            return Caller.node(cn);
        }
        if (authorization != null && authorization.startsWith("Bearer ")) {
            ScopedTokens tokens = tcp.acceptedTokens();
            Optional<ScopedTokens.Entry> e = tokens == null ? Optional.empty() : tokens.find(authorization.substring(7).trim());
            if (e.isPresent()) {
                return Caller.token(e.get().name(), e.get().scope());
            }
            throw new HpcvirtException(ErrorCode.UNAUTHORIZED, "the bearer token is not known to this daemon");
        }
        throw new HpcvirtException(ErrorCode.UNAUTHORIZED, tcp.secure()
                ? "TCP requests need a node certificate of the cluster CA, or 'Authorization: Bearer TOKEN' with a scoped token"
                : "TCP requests need 'Authorization: Bearer TOKEN'");
    }

    /** The caller {@link #check} authenticated for a TCP request. */
    static Caller caller(Context ctx) {
        Caller c = ctx.attribute(CALLER);
        if (c == null) {
            throw new HpcvirtException(ErrorCode.UNAUTHORIZED, "request not authenticated");
        }
        return c;
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
