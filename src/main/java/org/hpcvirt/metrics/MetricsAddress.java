package org.hpcvirt.metrics;

import java.net.InetAddress;
import java.net.UnknownHostException;
import org.hpcvirt.api.HpcvirtException;

/**
 * Where the metrics listener binds: {@code ADDR:PORT}, {@code [IPV6]:PORT} or a bare {@code PORT}
 * (loopback). Immutable.
 *
 * @param host an IP address or host name of this machine
 * @param port 0–65535 (0: any free port)
 */
public record MetricsAddress(String host, int port) {
    /** The environment variable equivalent to {@code --metrics} (read through {@link org.hpcvirt.api.NodeConfig}). */
    public static final String ENV = "HPCVIRT_METRICS";

    /**
     * Parses {@code text}; {@code source} names where it came from ({@code --metrics} or
     * {@link #ENV}) in the error.
     *
     * @throws HpcvirtException INVALID_INPUT if it is not {@code ADDR:PORT}, the port is out of
     *         range or the address cannot be resolved
     */
    public static MetricsAddress parse(String text, String source) {
        String t = text == null ? "" : text.trim();
        String usage = " (expected ADDR:PORT, e.g. 127.0.0.1:9464, or a port alone for loopback)";
        if (t.isEmpty()) {
            throw HpcvirtException.invalid(source + ": empty address" + usage);
        }
        String host;
        String portText;
        if (t.matches("[0-9]+")) {
            host = "127.0.0.1";
            portText = t;
        } else if (t.startsWith("[")) {
            int close = t.indexOf("]:");
            if (close < 0) {
                throw HpcvirtException.invalid(source + ": '" + t + "' is not [IPV6]:PORT" + usage);
            }
            host = t.substring(1, close);
            portText = t.substring(close + 2);
        } else {
            int colon = t.lastIndexOf(':');
            if (colon <= 0 || colon == t.length() - 1 || t.indexOf(':') != colon) {
                throw HpcvirtException.invalid(source + ": '" + t + "' is not ADDR:PORT" + usage);
            }
            host = t.substring(0, colon);
            portText = t.substring(colon + 1);
        }
        int port;
        try {
            port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            throw HpcvirtException.invalid(source + ": port of '" + t + "' is not a number" + usage);
        }
        if (port < 0 || port > 65535) {
            throw HpcvirtException.invalid(source + ": port " + port + " of '" + t + "' is out of range (0-65535)");
        }
        try {
            InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw HpcvirtException.invalid(source + ": unknown address '" + host + "' in '" + t + "'" + usage);
        }
        return new MetricsAddress(host, port);
    }

    /** {@code ADDR:PORT} as {@link #parse} reads it back (IPv6 in brackets). */
    @Override
    public String toString() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
