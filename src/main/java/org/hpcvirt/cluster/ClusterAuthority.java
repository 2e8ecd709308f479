package org.hpcvirt.cluster;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/**
 * A cluster's certificate authority: an EC P-256 key and a self-signed CA certificate
 * ({@code CA:true}, path length 0) that signs one certificate per node. Its directory holds
 * {@code ca.pem}, {@code ca.key} (0600), {@code truststore.p12} (the CA certificate, for clients
 * that only verify) and {@code nodes/NAME/} per node: {@code node.p12} (key and chain, 0600),
 * {@code node.pem}, {@code node.key} (0600), {@code ca.pem} and {@code truststore.p12} — a node's
 * directory is all that node needs ({@link TlsMaterial#load}). The CA key never has to leave the
 * machine that ran {@code hpcvirt cluster init}. Node certificates carry both TLS uses (server and
 * client): a daemon serves with the same certificate it presents to other daemons.
 * Keys and signatures use the JDK's providers; BouncyCastle only builds the X.509 structures and
 * PEM. Not thread-safe; nothing to close.
 */
public final class ClusterAuthority {
    /** Default validity of the CA and of node certificates. */
    public static final Duration DEFAULT_VALIDITY = Duration.ofDays(365);
    private static final String SIGNATURE = "SHA256withECDSA";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path dir;
    private final X509Certificate certificate;
    private final PrivateKey key;

    private ClusterAuthority(Path dir, X509Certificate certificate, PrivateKey key) {
        this.dir = dir;
        this.certificate = certificate;
        this.key = key;
    }

    /**
     * Creates a new CA in {@code dir} (created with mode 0700 if absent), valid from now for
     * {@code validity}.
     *
     * @param force replace a CA that is already there (and forget its node directories)
     * @throws HpcvirtException INVALID_INPUT if {@code dir} already holds a CA and {@code force} is
     *         false, if it cannot be created or written, or if the validity is not positive
     */
    public static ClusterAuthority create(Path dir, Duration validity, boolean force) {
        if (validity.isNegative() || validity.isZero()) {
            throw HpcvirtException.invalid("the validity must be at least one day");
        }
        dir = dir.toAbsolutePath().normalize();
        if (Files.exists(dir.resolve("ca.pem")) || Files.exists(dir.resolve("ca.key"))) {
            if (!force) {
                throw HpcvirtException.invalid(dir + " already holds a cluster CA (ca.pem); --force replaces it "
                        + "and every node certificate it signed");
            }
            forgetNodes(dir.resolve("nodes"));
        }
        SecureFiles.directory(dir);
        KeyPair kp = newKeyPair();
        Instant now = Instant.now();
        X500Name subject = new X500Name("CN=hpcvirt cluster CA " + HexFormat.of().formatHex(RANDOM.generateSeed(4)) + ",O=hpcvirt");
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(), Date.from(now.minusSeconds(60)),
                    Date.from(now.plus(validity)), subject, kp.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(kp.getPublic()));
            X509Certificate ca = sign(b, kp.getPrivate());
            ClusterAuthority a = new ClusterAuthority(dir, ca, kp.getPrivate());
            SecureFiles.write(dir.resolve("ca.key"), pem(new PemObject("PRIVATE KEY", kp.getPrivate().getEncoded())), SecureFiles.PRIVATE);
            SecureFiles.write(dir.resolve("ca.pem"), pem(ca), SecureFiles.PUBLIC);
            SecureFiles.write(dir.resolve(TlsMaterial.TRUSTSTORE), a.truststore(), SecureFiles.PUBLIC);
            return a;
        } catch (GeneralSecurityException | IOException e) {
            throw new HpcvirtException(ErrorCode.INTERNAL, "cannot build the CA certificate: " + e.getMessage(), e);
        }
    }

    /**
     * The CA in {@code dir}, as {@link #create} wrote it.
     *
     * @throws HpcvirtException INVALID_INPUT if there is none or it cannot be read
     */
    public static ClusterAuthority load(Path dir) {
        dir = dir.toAbsolutePath().normalize();
        Path certFile = dir.resolve("ca.pem");
        Path keyFile = dir.resolve("ca.key");
        if (!Files.exists(certFile) || !Files.exists(keyFile)) {
            throw HpcvirtException.invalid(dir + " holds no cluster CA (ca.pem, ca.key): run 'hpcvirt cluster init' first");
        }
        try (PEMParser cp = new PEMParser(new StringReader(Files.readString(certFile)));
                PEMParser kp = new PEMParser(new StringReader(Files.readString(keyFile)))) {
            X509Certificate cert = new JcaX509CertificateConverter().getCertificate((org.bouncycastle.cert.X509CertificateHolder) cp.readObject());
            PrivateKey key = new JcaPEMKeyConverter().getPrivateKey((PrivateKeyInfo) kp.readObject());
            return new ClusterAuthority(dir, cert, key);
        } catch (java.nio.file.AccessDeniedException e) {
            throw HpcvirtException.invalid("cannot read " + e.getFile() + ": permission denied");
        } catch (IOException | GeneralSecurityException | ClassCastException | NullPointerException e) {
            throw HpcvirtException.invalid("cannot read the cluster CA in " + dir + ": " + e.getMessage());
        }
    }

    /** The CA's directory. */
    public Path dir() {
        return dir;
    }

    /** The CA certificate. */
    public X509Certificate certificate() {
        return certificate;
    }

    /** The directory of node {@code name}'s material. */
    public Path nodeDir(String name) {
        return dir.resolve("nodes").resolve(name);
    }

    /** Issues a certificate for {@code node}, valid from now for {@code validity} (at most until the CA expires). */
    public X509Certificate issue(NodeSpec node, Duration validity) {
        Instant now = Instant.now();
        Instant end = now.plus(validity);
        Instant caEnd = certificate.getNotAfter().toInstant();
        return issue(node, now.minusSeconds(60), end.isAfter(caEnd) ? caEnd : end);
    }

    /**
     * Issues a certificate for {@code node} valid from {@code notBefore} to {@code notAfter} and
     * writes its directory ({@link #nodeDir}), replacing an earlier one. (Tests issue expired ones.)
     */
    public X509Certificate issue(NodeSpec node, Instant notBefore, Instant notAfter) {
        KeyPair kp = newKeyPair();
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            List<GeneralName> sans = new ArrayList<>();
            sans.add(new GeneralName(GeneralName.dNSName, node.name()));
            for (String a : node.addresses()) {
                boolean ip = NodeSpec.isIp(a);
                String v = ip ? a.replace("[", "").replace("]", "") : a;
                if (!(v.equals(node.name()) && !ip)) {
                    sans.add(new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, v));
                }
            }
            X500Name subject = new X500Name("CN=" + node.name() + ",O=hpcvirt");
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(certificate, serial(), Date.from(notBefore), Date.from(notAfter),
                    subject, kp.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement))
                    .addExtension(Extension.extendedKeyUsage, false,
                            new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}))
                    .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(GeneralName[]::new)))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(kp.getPublic()))
                    .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(certificate));
            X509Certificate cert = sign(b, key);
            Path d = nodeDir(node.name());
            SecureFiles.directory(d.getParent());
            SecureFiles.directory(d);
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry(TlsMaterial.KEY_ALIAS, kp.getPrivate(), TlsMaterial.STORE_PASSWORD.toCharArray(),
                    new java.security.cert.Certificate[] {cert, certificate});
            SecureFiles.write(d.resolve(TlsMaterial.KEYSTORE), store(ks), SecureFiles.PRIVATE);
            SecureFiles.write(d.resolve("node.key"), pem(new PemObject("PRIVATE KEY", kp.getPrivate().getEncoded())), SecureFiles.PRIVATE);
            SecureFiles.write(d.resolve("node.pem"), pem(cert), SecureFiles.PUBLIC);
            SecureFiles.write(d.resolve("ca.pem"), pem(certificate), SecureFiles.PUBLIC);
            SecureFiles.write(d.resolve(TlsMaterial.TRUSTSTORE), truststore(), SecureFiles.PUBLIC);
            return cert;
        } catch (GeneralSecurityException | IOException e) {
            throw new HpcvirtException(ErrorCode.INTERNAL, "cannot issue a certificate for " + node.name() + ": " + e.getMessage(), e);
        }
    }

    /** The CN of a certificate's subject (a node's name), or null if it has none. */
    public static String commonName(X509Certificate cert) {
        X500Name n = X500Name.getInstance(cert.getSubjectX500Principal().getEncoded());
        var rdns = n.getRDNs(BCStyle.CN);
        return rdns.length == 0 ? null : IETFUtils.valueToString(rdns[0].getFirst().getValue());
    }

    private byte[] truststore() {
        try {
            KeyStore ts = KeyStore.getInstance("PKCS12");
            ts.load(null, null);
            ts.setCertificateEntry(TlsMaterial.CA_ALIAS, certificate);
            return store(ts);
        } catch (GeneralSecurityException | IOException e) {
            throw new HpcvirtException(ErrorCode.INTERNAL, "cannot build the trust store: " + e.getMessage(), e);
        }
    }

    private static byte[] store(KeyStore ks) throws GeneralSecurityException, IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ks.store(out, TlsMaterial.STORE_PASSWORD.toCharArray());
        return out.toByteArray();
    }

    private static void forgetNodes(Path nodes) {
        if (!Files.isDirectory(nodes)) {
            return;
        }
        try (var dirs = Files.list(nodes)) {
            for (Path d : dirs.toList()) {
                for (String f : List.of(TlsMaterial.KEYSTORE, TlsMaterial.TRUSTSTORE, "node.key", "node.pem", "ca.pem")) {
                    Files.deleteIfExists(d.resolve(f));
                }
                try {
                    Files.deleteIfExists(d);
                } catch (java.nio.file.DirectoryNotEmptyException e) {
                    // someone's own files: leave them
                }
            }
        } catch (IOException e) {
            throw HpcvirtException.invalid("cannot remove the old node certificates in " + nodes + ": " + e.getMessage());
        }
    }

    private static KeyPair newKeyPair() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new HpcvirtException(ErrorCode.INTERNAL, "no EC P-256 key generator: " + e.getMessage(), e);
        }
    }

    private static BigInteger serial() {
        return new BigInteger(127, RANDOM).add(BigInteger.ONE);
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key) throws GeneralSecurityException {
        try {
            return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder(SIGNATURE).build(key)));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e.getMessage(), e);
        }
    }

    private static byte[] pem(Object o) {
        StringWriter s = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(s)) {
            if (o instanceof PemObject p) {
                w.writeObject(p);
            } else {
                w.writeObject(o);
            }
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.INTERNAL, "cannot encode PEM", e);
        }
        return s.toString().getBytes(StandardCharsets.UTF_8);
    }
}
