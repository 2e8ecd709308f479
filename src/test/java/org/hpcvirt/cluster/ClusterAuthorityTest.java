package org.hpcvirt.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterAuthorityTest {
    @TempDir
    Path dir;

    private static KeyStore open(Path p) throws Exception {
        try (InputStream in = Files.newInputStream(p)) {
            KeyStore k = KeyStore.getInstance("PKCS12");
            k.load(in, TlsMaterial.STORE_PASSWORD.toCharArray());
            return k;
        }
    }

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void nodeCertificatesChainToTheCaAndNameTheirAddresses() throws Exception {
        ClusterAuthority ca = ClusterAuthority.create(dir.resolve("c"), Duration.ofDays(30), false);
        X509Certificate cacert = ca.certificate();
        assertThat(cacert.getBasicConstraints()).as("CA:true").isGreaterThanOrEqualTo(0);
        assertThat(cacert.getSubjectX500Principal()).isEqualTo(cacert.getIssuerX500Principal());
        cacert.verify(cacert.getPublicKey());
        assertThat(cacert.getPublicKey().getAlgorithm()).isEqualTo("EC");

        X509Certificate n1 = ca.issue(NodeSpec.parse("n1=10.200.0.1,node1.example,fd00::1"), Duration.ofDays(7));
        assertThat(n1.getBasicConstraints()).as("CA:false").isEqualTo(-1);
        assertThat(n1.getExtendedKeyUsage()).contains("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
        assertThat(n1.getSubjectAlternativeNames()).extracting(l -> l.get(0) + "=" + l.get(1))
                .containsExactlyInAnyOrder("2=n1", "7=10.200.0.1", "2=node1.example", "7=fd00:0:0:0:0:0:0:1");
        assertThat(ClusterAuthority.commonName(n1)).isEqualTo("n1");

        // the key store's chain validates against the trust store (PKIX, as TLS does)
        Path nd = ca.nodeDir("n1");
        KeyStore ks = open(nd.resolve(TlsMaterial.KEYSTORE));
        assertThat(ks.getKey("node", TlsMaterial.STORE_PASSWORD.toCharArray())).isInstanceOf(PrivateKey.class);
        var chain = ks.getCertificateChain("node");
        assertThat(chain).hasSize(2);
        KeyStore ts = open(nd.resolve(TlsMaterial.TRUSTSTORE));
        X509Certificate anchor = (X509Certificate) ts.getCertificate("hpcvirt-ca");
        assertThat(anchor).isEqualTo(cacert);
        PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(anchor, null)));
        params.setRevocationEnabled(false);
        CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509").generateCertPath(List.of(chain[0])), params);

        // a certificate from another CA does not validate against this one
        X509Certificate foreign = ClusterAuthority.create(dir.resolve("other"), Duration.ofDays(30), false)
                .issue(NodeSpec.parse("n1=10.200.0.1"), Duration.ofDays(7));
        assertThatThrownBy(() -> CertPathValidator.getInstance("PKIX")
                .validate(CertificateFactory.getInstance("X.509").generateCertPath(List.of(foreign)), params))
                .isInstanceOf(java.security.cert.CertPathValidatorException.class);

        TlsMaterial m = TlsMaterial.load(nd);
        assertThat(m.nodeName()).isEqualTo("n1");
        assertThat(m.notAfter()).isBefore(Instant.now().plus(Duration.ofDays(8)));
        assertThat(TlsMaterial.load(dir.resolve("c")).hasNodeKey()).as("the cluster directory: trust only").isFalse();
    }

    @Test
    void privateMaterialIsReadableByItsOwnerOnly() throws Exception {
        ClusterAuthority ca = ClusterAuthority.create(dir.resolve("c"), Duration.ofDays(30), false);
        ca.issue(NodeSpec.parse("n1=10.200.0.1"), Duration.ofDays(7));
        Path c = dir.resolve("c");
        assertThat(mode(c)).isEqualTo("rwx------");
        assertThat(mode(c.resolve("ca.key"))).isEqualTo("rw-------");
        assertThat(mode(c.resolve("ca.pem"))).isEqualTo("rw-r--r--");
        Path nd = ca.nodeDir("n1");
        assertThat(mode(nd)).isEqualTo("rwx------");
        assertThat(mode(nd.resolve("node.p12"))).isEqualTo("rw-------");
        assertThat(mode(nd.resolve("node.key"))).isEqualTo("rw-------");
        assertThat(Files.readString(nd.resolve("node.key"))).startsWith("-----BEGIN PRIVATE KEY-----");
        assertThat(Files.readString(nd.resolve("node.pem"))).startsWith("-----BEGIN CERTIFICATE-----");
        try (var files = Files.list(nd)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("node.p12", "node.pem", "node.key", "ca.pem", "truststore.p12");
        }
    }

    @Test
    void anExistingCaIsReplacedOnlyWithForce() throws Exception {
        ClusterAuthority first = ClusterAuthority.create(dir.resolve("c"), Duration.ofDays(30), false);
        first.issue(NodeSpec.parse("old=10.200.0.9"), Duration.ofDays(7));
        byte[] before = Files.readAllBytes(dir.resolve("c/ca.key"));
        assertThatThrownBy(() -> ClusterAuthority.create(dir.resolve("c"), Duration.ofDays(30), false))
                .isInstanceOf(HpcvirtException.class).hasMessageContaining("already holds a cluster CA").hasMessageContaining("--force");
        assertThat(Files.readAllBytes(dir.resolve("c/ca.key"))).isEqualTo(before);
        ClusterAuthority second = ClusterAuthority.create(dir.resolve("c"), Duration.ofDays(30), true);
        assertThat(second.certificate()).isNotEqualTo(first.certificate());
        assertThat(Files.exists(first.nodeDir("old"))).as("certificates of the replaced CA are gone").isFalse();
        assertThat(ClusterAuthority.load(dir.resolve("c")).certificate()).isEqualTo(second.certificate());
    }

    @Test
    void certificatesEndWithTheCaAndExpiredOnesCanBeIssuedForTests() throws Exception {
        ClusterAuthority ca = ClusterAuthority.create(dir.resolve("c"), Duration.ofDays(2), false);
        X509Certificate capped = ca.issue(NodeSpec.parse("n1=10.200.0.1"), Duration.ofDays(100));
        assertThat(capped.getNotAfter()).isEqualTo(ca.certificate().getNotAfter());
        Instant past = Instant.now().minus(Duration.ofDays(1));
        X509Certificate expired = ca.issue(NodeSpec.parse("n2=10.200.0.2"), past.minus(Duration.ofDays(1)), past);
        assertThatThrownBy(expired::checkValidity).isInstanceOf(java.security.cert.CertificateExpiredException.class);
    }

    @Test
    void badNodeSpecsAndDirectoriesAreOneLineInvalidInput() throws Exception {
        for (String bad : List.of("n1", "n1=", "=10.0.0.1", "n1=10.200.0.300", "n1=10.200.0.1,,x", "bad name=10.0.0.1", "n1=-x-",
                "n1=10.0.0", "n1=fd00::zz", "n1=a_b.example")) {
            assertThatThrownBy(() -> NodeSpec.parse(bad)).as(bad).isInstanceOf(HpcvirtException.class)
                    .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.INVALID_INPUT))
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        }
        Path file = Files.writeString(dir.resolve("file"), "x");
        assertThatThrownBy(() -> ClusterAuthority.create(file.resolve("c"), Duration.ofDays(1), false)).isInstanceOf(HpcvirtException.class);
        assertThatThrownBy(() -> ClusterAuthority.load(dir.resolve("none"))).isInstanceOf(HpcvirtException.class)
                .hasMessageContaining("cluster init");
    }
}
