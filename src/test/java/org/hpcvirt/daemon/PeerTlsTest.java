package org.hpcvirt.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.hpcvirt.api.Access;
import org.hpcvirt.api.DirectoryTree;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.cluster.ClusterAuthority;
import org.hpcvirt.cluster.NodeSpec;
import org.hpcvirt.cluster.ScopedTokens;
import org.hpcvirt.cluster.TlsMaterial;
import org.hpcvirt.vm.NodeLayout;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real daemon with a TLS listener on loopback (node n1's certificate, SAN 127.0.0.1) and real
 * clients: another node's certificate, scoped tokens inside TLS, and the ones that must be turned
 * away — no credentials (401), a certificate of another CA or an expired one (handshake refused),
 * a daemon whose name does not match its certificate (the client refuses).
 */
class PeerTlsTest {
    private static Path root;
    private static Daemon daemon;
    private static String url;
    private static ClusterAuthority ca;
    private static ScopedTokens.Issued read;
    private static ScopedTokens.Issued operate;
    private static ScopedTokens.Issued admin;

    @BeforeAll
    static void start() throws Exception {
        root = Files.createTempDirectory(Path.of("/tmp"), "hv-tls");
        ca = ClusterAuthority.create(root.resolve("cluster"), Duration.ofDays(2), false);
        ca.issue(new NodeSpec("n1", List.of("127.0.0.1")), Duration.ofDays(1));
        ca.issue(new NodeSpec("n2", List.of("127.0.0.2")), Duration.ofDays(1));
        Instant past = Instant.now().minus(Duration.ofHours(1));
        ca.issue(new NodeSpec("old", List.of("127.0.0.3")), past.minus(Duration.ofDays(1)), past);
        ClusterAuthority other = ClusterAuthority.create(root.resolve("other"), Duration.ofDays(2), false);
        other.issue(new NodeSpec("n2", List.of("127.0.0.2")), Duration.ofDays(1));
        Path tokens = root.resolve("cluster/tokens");
        read = ScopedTokens.issue(tokens, "ci", Access.READ);
        operate = ScopedTokens.issue(tokens, "ops", Access.OPERATE);
        admin = ScopedTokens.issue(tokens, "root", Access.ADMIN);
        daemon = Daemon.start(new NodeLayout(root.resolve("home")),
                TcpListener.of("127.0.0.1:0", ca.nodeDir("n1"), tokens, null, false));
        url = "https://127.0.0.1:" + daemon.tcpPort();
    }

    @AfterAll
    static void stop() {
        if (daemon != null) {
            daemon.close();
        }
        DirectoryTree.deleteQuietly(root);
    }

    private static TlsMaterial node(String name) {
        return TlsMaterial.load(ca.nodeDir(name));
    }

    private static TlsMaterial trustOnly() {
        return TlsMaterial.load(root.resolve("cluster"));
    }

    private static HpcvirtException failure(Runnable r) {
        try {
            r.run();
        } catch (HpcvirtException e) {
            return e;
        }
        throw new AssertionError("expected a refusal");
    }

    @Test
    void anotherNodesCertificateIsANodeWithEveryRight() {
        try (DaemonClient c = DaemonClient.remote(url, RemoteAuth.node(node("n2")))) {
            assertThat(c.node().path("tcp").path("tls").asBoolean()).isTrue();
            assertThat(c.node().path("tcp").path("node").asText()).isEqualTo("n1");
            // an admin-only step of a migration is allowed (nothing to abort here)
            assertThat(c.execute(new org.hpcvirt.api.Operation.AbortIncoming("nosuch"))).isNotNull();
        }
    }

    @Test
    void aReadTokenLooksButCannotChange() {
        try (DaemonClient c = DaemonClient.remote(url, RemoteAuth.token(trustOnly(), read.token()))) {
            assertThat(c.list()).isEmpty();
            HpcvirtException e = failure(() -> c.define("name: x\nbackend: qemu\ncpus: 1\nmemory: 64M\n", "x.yaml"));
            assertThat(e.code()).isEqualTo(ErrorCode.FORBIDDEN);
            assertThat(e.getMessage()).isEqualTo("'define' needs scope operate; token:ci holds read");
            assertThat(failure(() -> c.pause("x")).code()).isEqualTo(ErrorCode.FORBIDDEN);
        }
    }

    @Test
    void anOperateTokenChangesVmsButCannotStopTheDaemon() {
        try (DaemonClient c = DaemonClient.remote(url, RemoteAuth.token(trustOnly(), operate.token()))) {
            assertThat(failure(() -> c.pause("nosuch")).code()).as("past the scope check").isEqualTo(ErrorCode.NOT_FOUND);
            HpcvirtException e = failure(c::stopDaemon);
            assertThat(e.code()).isEqualTo(ErrorCode.FORBIDDEN);
            assertThat(e.getMessage()).isEqualTo("'stop daemon' needs scope admin; token:ops holds operate");
            assertThat(failure(() -> c.execute(new org.hpcvirt.api.Operation.AbortIncoming("nosuch"))).code()).isEqualTo(ErrorCode.FORBIDDEN);
        }
        try (DaemonClient c = DaemonClient.remote(url, RemoteAuth.token(trustOnly(), admin.token()))) {
            assertThat(c.execute(new org.hpcvirt.api.Operation.AbortIncoming("nosuch"))).isNotNull();
        }
        assertThat(DaemonClient.running(new NodeLayout(root.resolve("home")))).isTrue();
    }

    @Test
    void neitherCertificateNorKnownTokenIs401() throws Exception {
        HttpClient http = HttpClient.newBuilder().sslContext(context(null, root.resolve("cluster/truststore.p12"))).build();
        HttpResponse<String> none = http.send(HttpRequest.newBuilder(URI.create(url + "/v1/vms")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.body()).contains("UNAUTHORIZED").contains("node certificate");
        HttpResponse<String> wrong = http.send(HttpRequest.newBuilder(URI.create(url + "/v1/vms"))
                .header("Authorization", "Bearer " + read.token() + "x").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(wrong.statusCode()).isEqualTo(401);
        HttpResponse<String> ok = http.send(HttpRequest.newBuilder(URI.create(url + "/v1/vms"))
                .header("Authorization", "Bearer " + read.token()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(ok.statusCode()).isEqualTo(200);
    }

    @Test
    void aCertificateOfAnotherCaOrAnExpiredOneFailsTheHandshake() throws Exception {
        Path trust = root.resolve("cluster/truststore.p12");
        // the client presents the certificate whatever the server asks for (a JDK client would
        // otherwise leave out one the server's CA list does not name, and then be a 401)
        for (Path keystore : List.of(root.resolve("other/nodes/n2/node.p12"), ca.nodeDir("old").resolve("node.p12"))) {
            HttpClient http = HttpClient.newBuilder().sslContext(context(keystore, trust)).build();
            assertThatThrownBy(() -> http.send(HttpRequest.newBuilder(URI.create(url + "/v1/vms")).build(), HttpResponse.BodyHandlers.ofString()))
                    .as(keystore.toString()).isInstanceOf(java.io.IOException.class);
        }
        // the same client with the valid certificate of n2 gets in: the refusals above were the certificates'
        HttpClient good = HttpClient.newBuilder().sslContext(context(ca.nodeDir("n2").resolve("node.p12"), trust)).build();
        assertThat(good.send(HttpRequest.newBuilder(URI.create(url + "/v1/vms")).build(), HttpResponse.BodyHandlers.ofString())
                .statusCode()).isEqualTo(200);
        // the same refusal through the product's client, with a one-line reason
        TlsMaterial foreign = TlsMaterial.load(root.resolve("other/nodes/n2"));
        try (DaemonClient c = DaemonClient.remote(url, RemoteAuth.node(foreign))) {
            HpcvirtException e = failure(c::list);
            assertThat(e.code()).isEqualTo(ErrorCode.DAEMON_UNAVAILABLE);
            assertThat(e.getMessage()).contains("TLS with the daemon at " + url + " failed");
        }
    }

    @Test
    void theClientChecksTheDaemonsCertificateAgainstTheHostItDialled() {
        // n1's certificate names 127.0.0.1 and n1, not localhost
        try (DaemonClient c = DaemonClient.remote("https://localhost:" + daemon.tcpPort(), RemoteAuth.node(node("n2")))) {
            assertThat(failure(c::list).getMessage()).contains("TLS with the daemon").contains("failed");
        }
    }

    @Test
    void plainHttpToTheTlsPortIsNotServedAndTheUnixSocketIsUnchanged() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        assertThatThrownBy(() -> http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + daemon.tcpPort() + "/v1/vms"))
                .header("Authorization", "Bearer " + admin.token()).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(java.io.IOException.class);
        try (DaemonClient c = new DaemonClient(new NodeLayout(root.resolve("home")).daemonSocket())) {
            assertThat(c.list()).isEmpty();
        }
    }

    private static SSLContext context(Path keystore, Path truststore) throws Exception {
        char[] pw = TlsMaterial.STORE_PASSWORD.toCharArray();
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(load(truststore, pw));
        SSLContext ctx = SSLContext.getInstance("TLS");
        javax.net.ssl.KeyManager[] km = keystore == null ? null : new javax.net.ssl.KeyManager[] {new AlwaysPresent(load(keystore, pw), pw)};
        ctx.init(km, tmf.getTrustManagers(), null);
        return ctx;
    }

    /** A key manager that always offers the key store's node key, valid or not, whoever signed it. */
    private static final class AlwaysPresent extends javax.net.ssl.X509ExtendedKeyManager {
        private final java.security.PrivateKey key;
        private final java.security.cert.X509Certificate[] chain;

        AlwaysPresent(KeyStore ks, char[] pw) throws Exception {
            key = (java.security.PrivateKey) ks.getKey("node", pw);
            chain = java.util.Arrays.stream(ks.getCertificateChain("node"))
                    .map(c -> (java.security.cert.X509Certificate) c).toArray(java.security.cert.X509Certificate[]::new);
        }

        @Override
        public String[] getClientAliases(String keyType, java.security.Principal[] issuers) {
            return new String[] {"node"};
        }

        @Override
        public String chooseClientAlias(String[] keyType, java.security.Principal[] issuers, java.net.Socket socket) {
            return "node";
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, java.security.Principal[] issuers, javax.net.ssl.SSLEngine engine) {
            return "node";
        }

        @Override
        public String[] getServerAliases(String keyType, java.security.Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseServerAlias(String keyType, java.security.Principal[] issuers, java.net.Socket socket) {
            return null;
        }

        @Override
        public java.security.cert.X509Certificate[] getCertificateChain(String alias) {
            return chain;
        }

        @Override
        public java.security.PrivateKey getPrivateKey(String alias) {
            return key;
        }
    }

    private static KeyStore load(Path p, char[] pw) throws Exception {
        try (InputStream in = Files.newInputStream(p)) {
            KeyStore k = KeyStore.getInstance("PKCS12");
            k.load(in, pw);
            return k;
        }
    }
}
