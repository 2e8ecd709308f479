package org.hpcvirt.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Instant;
import org.hpcvirt.api.HpcvirtException;

/**
 * What a node (or a tool) needs for TLS with the cluster's daemons, loaded from a directory that
 * {@code hpcvirt cluster init} wrote: the trust store with the cluster CA ({@value #TRUSTSTORE},
 * always) and the node's own key and certificate chain ({@value #KEYSTORE}, in a node's directory;
 * absent in the cluster directory itself, whose trust store suffices for a token holder). Both are
 * PKCS#12 with the password {@value #STORE_PASSWORD}: PKCS#12 tools insist on one, the file mode
 * (0600 for the key store) is what protects the key. Immutable.
 *
 * @param keystore   the node's key store, or null for a verifying-only client
 * @param truststore the cluster CA
 * @param nodeName   the CN of the node's certificate, or null without a key store
 * @param notAfter   when the node's certificate expires, or null without a key store
 */
public record TlsMaterial(Path keystore, Path truststore, String nodeName, Instant notAfter) {
    /** File name of a node's key store. */
    public static final String KEYSTORE = "node.p12";
    /** File name of the trust store. */
    public static final String TRUSTSTORE = "truststore.p12";
    /** Password of both stores (see the class comment). */
    public static final String STORE_PASSWORD = "hpcvirt";
    static final String KEY_ALIAS = "node";
    static final String CA_ALIAS = "hpcvirt-ca";

    public TlsMaterial {
        if (truststore == null) {
            throw new IllegalArgumentException("TLS needs a trust store");
        }
    }

    /**
     * The material in {@code dir}: a node's directory ({@code DIR/nodes/NAME}) or the cluster
     * directory (trust store only). Both stores are opened here, so that a wrong file is reported
     * at start, not at the first connection.
     *
     * @throws HpcvirtException INVALID_INPUT if {@code dir} has no trust store or a store cannot be read
     */
    public static TlsMaterial load(Path dir) {
        Path ts = dir.resolve(TRUSTSTORE).toAbsolutePath().normalize();
        if (!Files.isRegularFile(ts)) {
            throw HpcvirtException.invalid("--tls: " + dir + " has no " + TRUSTSTORE + " (a directory written by 'hpcvirt cluster init')");
        }
        open(ts);
        Path ks = dir.resolve(KEYSTORE).toAbsolutePath().normalize();
        if (!Files.exists(ks)) {
            return new TlsMaterial(null, ts, null, null);
        }
        KeyStore k = open(ks);
        try {
            X509Certificate cert = (X509Certificate) k.getCertificate(KEY_ALIAS);
            if (cert == null) {
                throw HpcvirtException.invalid("--tls: " + ks + " holds no key '" + KEY_ALIAS + "'");
            }
            return new TlsMaterial(ks, ts, ClusterAuthority.commonName(cert), cert.getNotAfter().toInstant());
        } catch (java.security.KeyStoreException e) {
            throw HpcvirtException.invalid("--tls: cannot read " + ks + ": " + e.getMessage());
        }
    }

    /** True if this material has a node's key (it can present a client certificate). */
    public boolean hasNodeKey() {
        return keystore != null;
    }

    private static KeyStore open(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            KeyStore k = KeyStore.getInstance("PKCS12");
            k.load(in, STORE_PASSWORD.toCharArray());
            return k;
        } catch (java.nio.file.AccessDeniedException e) {
            throw HpcvirtException.invalid("--tls: cannot read " + file + ": permission denied");
        } catch (IOException | GeneralSecurityException e) {
            throw HpcvirtException.invalid("--tls: " + file + " is not a PKCS#12 store of hpcvirt: " + e.getMessage());
        }
    }
}
