package org.hpcvirt.daemon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.hpcvirt.api.Access;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.NodeConfig;
import org.hpcvirt.cluster.ScopedTokens;
import org.hpcvirt.cluster.TlsMaterial;

/**
 * The daemon's optional TCP listener, through which other nodes' daemons (migration, restore and
 * wake on another node, fault-tolerance peers) and tools reach it. Normally TLS with the node's
 * certificate ({@code --tls DIR}): a client presenting a certificate of the cluster CA is that node
 * ({@code node:NAME}, scope admin); a client without one may still send a scoped token
 * ({@code Authorization: Bearer}, {@code --tokens F}); a client with neither gets 401, one with a
 * certificate the CA did not sign (or an expired one) fails the handshake. Plain TCP exists only
 * for a lab ({@code --insecure-plain-tcp}): then the token of {@code --token-file} (scope admin, the
 * one this node also sends to others) and the scoped tokens travel in clear. The Unix socket is
 * unaffected. Immutable and thread-safe.
 *
 * @param host     address to bind (an address of this node, e.g. {@code 10.200.0.1})
 * @param port     TCP port (0: any free port)
 * @param tls      the node's TLS material (with its key); null only for the lab's plain TCP
 * @param tokens   the scoped tokens accepted here, or null
 * @param labToken plain TCP only: the shared token this node sends to other nodes and accepts as
 *                 {@code token:cluster} with scope admin; null otherwise; never logged
 */
public record TcpListener(String host, int port, TlsMaterial tls, ScopedTokens tokens, String labToken) {
    /** Environment variable with {@code ADDR:PORT}, equivalent to {@code daemon start --listen}. */
    public static final String ENV_LISTEN = "HPCVIRT_LISTEN";
    /** Environment variable with the node's TLS directory, equivalent to {@code --tls}. */
    public static final String ENV_TLS = "HPCVIRT_TLS";
    /** Environment variable with the scoped tokens file, equivalent to {@code --tokens}. */
    public static final String ENV_TOKENS = "HPCVIRT_TOKENS";
    /** Environment variable with the lab's shared token file (plain TCP only), equivalent to {@code --token-file}. */
    public static final String ENV_TOKEN_FILE = "HPCVIRT_TOKEN_FILE";
    /** Environment variable of the lab switch: {@code yes} allows plain TCP, equivalent to {@code --insecure-plain-tcp}. */
    public static final String ENV_INSECURE_TCP = "HPCVIRT_INSECURE_TCP";

    public TcpListener {
        if (tls == null && tokens == null && labToken == null) {
            throw HpcvirtException.invalid("a plain TCP listener needs a token (--token-file or --tokens)");
        }
        if (tls != null && !tls.hasNodeKey()) {
            throw HpcvirtException.invalid("--tls: " + tls.truststore().getParent() + " has no node key (" + TlsMaterial.KEYSTORE
                    + "); give the node's directory, DIR/nodes/NAME");
        }
        if (tls != null && labToken != null) {
            throw HpcvirtException.invalid("--token-file is the lab's shared token for plain TCP; with --tls use --tokens");
        }
    }

    /** True for TLS, false for the lab's plain TCP. */
    public boolean secure() {
        return tls != null;
    }

    /** The URL other nodes reach this listener at: {@code https://HOST:PORT}, or {@code http://} in the lab. */
    public String url() {
        return (secure() ? "https://" : "http://") + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    /** How this node authenticates to other nodes' daemons: its certificate, or in the lab the shared token. */
    public RemoteAuth outgoing() {
        return secure() ? RemoteAuth.node(tls) : RemoteAuth.plainLab(labToken);
    }

    /** The accepted tokens (scoped ones and, in the lab, the shared one), or null if none. */
    ScopedTokens acceptedTokens() {
        return tokens;
    }

    @Override
    public String toString() {
        return "TcpListener[" + url() + (secure() ? ", node " + tls.nodeName() : ", PLAIN TCP (lab)") + "]";
    }

    /**
     * The listener of the options.
     *
     * @param listen        {@code ADDR:PORT}
     * @param tlsDir        the node's directory from {@code hpcvirt cluster init} ({@code DIR/nodes/NAME}), or null
     * @param tokensFile    scoped tokens accepted here, or null
     * @param labTokenFile  plain TCP only: the shared token's file, or null
     * @param insecurePlain the lab switch
     * @throws HpcvirtException INVALID_INPUT if the address is malformed, a file cannot be read, or
     *         neither TLS material nor the lab switch is given (or both are)
     */
    public static TcpListener of(String listen, Path tlsDir, Path tokensFile, Path labTokenFile, boolean insecurePlain) {
        int colon = listen.lastIndexOf(':');
        if (colon <= 0 || colon == listen.length() - 1) {
            throw HpcvirtException.invalid("--listen: '" + listen + "' is not ADDR:PORT");
        }
        int port;
        try {
            port = Integer.parseInt(listen.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw HpcvirtException.invalid("--listen: port of '" + listen + "' is not a number");
        }
        if (port < 0 || port > 65535) {
            throw HpcvirtException.invalid("--listen: port " + port + " out of range");
        }
        String host = listen.substring(0, colon).replace("[", "").replace("]", "");
        if (tlsDir != null && insecurePlain) {
            throw HpcvirtException.invalid("--tls and --insecure-plain-tcp exclude each other");
        }
        if (tlsDir == null && !insecurePlain) {
            throw HpcvirtException.invalid("--listen needs --tls DIR (a node's directory from 'hpcvirt cluster init'); plain TCP "
                    + "only with --insecure-plain-tcp (or " + ENV_INSECURE_TCP + "=yes), for a lab");
        }
        ScopedTokens tokens = tokensFile == null ? null : ScopedTokens.load(tokensFile);
        if (tlsDir != null) {
            if (labTokenFile != null) {
                throw HpcvirtException.invalid("--token-file is the lab's shared token for plain TCP; with --tls use --tokens");
            }
            return new TcpListener(host, port, TlsMaterial.load(tlsDir), tokens, null);
        }
        if (labTokenFile == null && tokens == null) {
            throw HpcvirtException.invalid("plain TCP needs --token-file (or " + ENV_TOKEN_FILE + ") with the lab's shared token");
        }
        String lab = labTokenFile == null ? null : readToken(labTokenFile);
        if (lab != null) {
            ScopedTokens shared = ScopedTokens.single("cluster", lab, Access.ADMIN);
            tokens = tokens == null ? shared : tokens.with(shared);
        }
        return new TcpListener(host, port, null, tokens, lab);
    }

    /** The listener configured by the environment ({@link NodeConfig}), or null if no address is set. */
    public static TcpListener fromEnvironment() {
        NodeConfig c = NodeConfig.current();
        return c.listen() == null ? null : of(c.listen(), c.tls(), c.tokens(), c.tokenFile(), c.insecureTcp());
    }

    /** The token in {@code file}: its first line, trimmed. */
    public static String readToken(Path file) {
        try {
            String t = Files.readAllLines(file, StandardCharsets.UTF_8).stream().findFirst().orElse("").trim();
            if (t.isEmpty()) {
                throw HpcvirtException.invalid("token file " + file + " is empty");
            }
            return t;
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.INVALID_INPUT, "cannot read token file " + file, e);
        }
    }
}
