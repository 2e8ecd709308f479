package org.hpcvirt.daemon;

import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.hpcvirt.cluster.TlsMaterial;

/**
 * Jetty's TLS, configured once for both ends of daemon-to-daemon traffic: the daemon's TCP
 * connector ({@link #server}) and the client's context ({@link #client}). TLS 1.2 and 1.3 only
 * (Jetty's default exclusions of old protocols and weak suites stay), the cluster CA as the only
 * trust anchor. Stateless.
 */
final class TlsConnectors {
    private TlsConnectors() {
    }

    /**
     * The daemon's TCP connector for {@code tcp}: TLS with the node's certificate, asking ("want",
     * not "need") for a client certificate — a client without one may still authenticate with a
     * token, one whose certificate the cluster CA did not sign fails the handshake — or, under the
     * lab switch, plain HTTP.
     */
    static ServerConnector server(Server server, HttpConfiguration http, TcpListener tcp) {
        ServerConnector c;
        if (tcp.secure()) {
            SslContextFactory.Server ssl = new SslContextFactory.Server();
            ssl.setKeyStorePath(tcp.tls().keystore().toString());
            ssl.setKeyStoreType("PKCS12");
            ssl.setKeyStorePassword(TlsMaterial.STORE_PASSWORD);
            ssl.setTrustStorePath(tcp.tls().truststore().toString());
            ssl.setTrustStoreType("PKCS12");
            ssl.setTrustStorePassword(TlsMaterial.STORE_PASSWORD);
            ssl.setWantClientAuth(true);
            ssl.setNeedClientAuth(false);
            ssl.setSniRequired(false);
            HttpConfiguration https = new HttpConfiguration(http);
            // peers connect by IP address: no SNI host check; the client certificate becomes a request attribute
            https.addCustomizer(new SecureRequestCustomizer(false, false, -1, false));
            c = new ServerConnector(server, new SslConnectionFactory(ssl, HttpVersion.HTTP_1_1.asString()), new HttpConnectionFactory(https));
        } else {
            c = new ServerConnector(server, new HttpConnectionFactory(http));
        }
        c.setHost(tcp.host());
        c.setPort(tcp.port());
        return c;
    }

    /**
     * A client context that trusts the cluster CA only, checks the daemon's certificate against the
     * host of the URL (IP addresses against IP SANs), and presents the node's certificate if
     * {@code tls} has a key.
     */
    static SslContextFactory.Client client(TlsMaterial tls) {
        SslContextFactory.Client ssl = new SslContextFactory.Client();
        ssl.setTrustStorePath(tls.truststore().toString());
        ssl.setTrustStoreType("PKCS12");
        ssl.setTrustStorePassword(TlsMaterial.STORE_PASSWORD);
        if (tls.hasNodeKey()) {
            ssl.setKeyStorePath(tls.keystore().toString());
            ssl.setKeyStoreType("PKCS12");
            ssl.setKeyStorePassword(TlsMaterial.STORE_PASSWORD);
        }
        ssl.setEndpointIdentificationAlgorithm("HTTPS");
        return ssl;
    }
}
