package org.hpcvirt.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.hpcvirt.api.HpcvirtException;

/**
 * A node to certify: its name (the certificate's CN, how other nodes' daemons name it as a caller,
 * {@code node:NAME}) and the addresses other nodes reach it at (subject alternative names: IP
 * addresses as IP SANs, host names as DNS SANs; the name is always a DNS SAN too). Immutable.
 *
 * @param name      node name, as {@code HPCVIRT_NODE} (letters, digits, '.', '_', '-'; at most 63)
 * @param addresses IPv4 or IPv6 literals and host names, at least one
 */
public record NodeSpec(String name, List<String> addresses) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
    private static final Pattern HOST = Pattern.compile("(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");
    private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}");

    public NodeSpec {
        if (name == null || !NAME.matcher(name).matches()) {
            throw HpcvirtException.invalid("node name '" + name + "' is not valid (letters, digits, '.', '_', '-'; at most 63)");
        }
        if (addresses == null || addresses.isEmpty()) {
            throw HpcvirtException.invalid("node " + name + " needs at least one address");
        }
        addresses = List.copyOf(addresses);
        for (String a : addresses) {
            if (!isIp(a) && !(HOST.matcher(a).matches() && !a.matches("[0-9.]+"))) {
                throw HpcvirtException.invalid("node " + name + ": '" + a + "' is neither an IP address nor a host name");
            }
        }
    }

    /**
     * Parses {@code NAME=ADDR[,ADDR…]}.
     *
     * @throws HpcvirtException INVALID_INPUT naming what is wrong
     */
    public static NodeSpec parse(String text) {
        int eq = text == null ? -1 : text.indexOf('=');
        if (eq <= 0 || eq == text.length() - 1) {
            throw HpcvirtException.invalid("--node: '" + text + "' is not NAME=ADDR[,ADDR]");
        }
        List<String> addrs = new ArrayList<>();
        for (String a : text.substring(eq + 1).split(",", -1)) {
            if (a.isBlank()) {
                throw HpcvirtException.invalid("--node: '" + text + "' has an empty address");
            }
            addrs.add(a.trim());
        }
        return new NodeSpec(text.substring(0, eq).trim(), addrs);
    }

    /** True if {@code a} is an IPv4 literal or an IPv6 literal (optionally in brackets). */
    static boolean isIp(String a) {
        if (IPV4.matcher(a).matches()) {
            return true;
        }
        if (!a.contains(":") || !a.matches("\\[?[0-9A-Fa-f:.]+]?")) {
            return false;
        }
        try {
            // a literal with ':' is parsed, never looked up
            return java.net.InetAddress.getByName(a) instanceof java.net.Inet6Address;
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }
}
