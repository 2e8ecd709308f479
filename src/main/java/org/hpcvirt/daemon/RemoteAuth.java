package org.hpcvirt.daemon;

import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.cluster.TlsMaterial;

/**
 * How a {@link DaemonClient} proves itself to another node's daemon over TCP: over
 * {@code https://} with the cluster trust store and, for a node, its own certificate (mutual TLS),
 * or a scoped bearer token (which then travels inside TLS only); over plain {@code http://} only when
 * the lab switch allowed it ({@link #plainLab}), and only then may a token travel in clear.
 * Immutable.
 *
 * @param tls           the cluster trust store and, for a node, its key; null for plain TCP only
 * @param token         a bearer token to send, or null (a node with a certificate needs none)
 * @param plainAllowed  true only under the lab switch ({@code --insecure-plain-tcp}, {@code HPCVIRT_INSECURE_TCP=yes})
 */
public record RemoteAuth(TlsMaterial tls, String token, boolean plainAllowed) {
    public RemoteAuth {
        if (tls == null && !plainAllowed) {
            throw HpcvirtException.invalid("talking to another daemon needs the cluster's TLS material (--tls DIR from "
                    + "'hpcvirt cluster init'), or the lab switch for plain TCP");
        }
        if (token != null && token.isBlank()) {
            token = null;
        }
    }

    /** A node: its own certificate, nothing else. */
    public static RemoteAuth node(TlsMaterial tls) {
        return new RemoteAuth(tls, null, false);
    }

    /** A token holder over TLS ({@code tls} verifies the daemon; its key, if any, is presented too). */
    public static RemoteAuth token(TlsMaterial tls, String token) {
        return new RemoteAuth(tls, token, false);
    }

    /** Plain TCP for a lab: the token travels in clear. */
    public static RemoteAuth plainLab(String token) {
        return new RemoteAuth(null, token, true);
    }

    @Override
    public String toString() {
        return "RemoteAuth[" + (tls == null ? "plain" : tls.hasNodeKey() ? "node " + tls.nodeName() : "trust only")
                + (token == null ? "" : ", token") + "]";
    }
}
