package org.hpcvirt.daemon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/**
 * The daemon's optional TCP listener, through which daemons on other nodes reach it (migration,
 * restore on another node). Every TCP request must carry {@code Authorization: Bearer TOKEN} with
 * the cluster's shared token; the Unix socket stays token-free (file permissions protect it).
 * Immutable and thread-safe.
 *
 * @param host  address to bind (an address of this node, e.g. {@code 10.200.0.1})
 * @param port  TCP port (0: any free port)
 * @param token the shared secret; never logged
 */
public record TcpListener(String host, int port, String token) {
    /** Environment variable with {@code ADDR:PORT}, equivalent to {@code daemon start --listen}. */
    public static final String ENV_LISTEN = "HPCVIRT_LISTEN";
    /** Environment variable with the token file, equivalent to {@code --token-file}. */
    public static final String ENV_TOKEN_FILE = "HPCVIRT_TOKEN_FILE";

    public TcpListener {
        if (token == null || token.isBlank()) {
            throw HpcvirtException.invalid("a TCP listener needs a non-empty token");
        }
    }

    @Override
    public String toString() {
        return "TcpListener[" + host + ":" + port + "]";
    }

    /**
     * Parses {@code ADDR:PORT} and reads the token from {@code tokenFile} (first line, trimmed).
     *
     * @throws HpcvirtException INVALID_INPUT if the address is malformed or the token file is
     *         missing or empty
     */
    public static TcpListener of(String listen, Path tokenFile) {
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
        if (tokenFile == null) {
            throw HpcvirtException.invalid("--listen needs --token-file (or " + ENV_TOKEN_FILE + ")");
        }
        return new TcpListener(listen.substring(0, colon), port, readToken(tokenFile));
    }

    /** The listener configured by {@link #ENV_LISTEN} and {@link #ENV_TOKEN_FILE}, or null if no address is set. */
    public static TcpListener fromEnvironment() {
        org.hpcvirt.api.NodeConfig c = org.hpcvirt.api.NodeConfig.current();
        return c.listen() == null ? null : of(c.listen(), c.tokenFile());
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

    /** Constant-time check of an {@code Authorization} header value against {@code Bearer TOKEN}. */
    public boolean authorizes(String authorizationHeader) {
        byte[] expected = ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
        byte[] given = authorizationHeader == null ? new byte[0] : authorizationHeader.getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(expected, given);
    }
}
