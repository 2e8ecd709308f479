package org.hpcvirt.network;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.hpcvirt.api.Caller;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/**
 * Makes, finds, attaches to and removes the private networks of this node (see
 * {@link PrivateNetwork}) with iproute2, in the network namespace the daemon runs in. Holds no
 * state of its own: the kernel's interfaces are the record (the bridge's alias
 * {@code hpcvirt network owner=USER} names the owner). A creation that fails part-way removes what
 * it made. Thread-safe as far as the kernel is; two creations of one name race, and one of them
 * fails with ALREADY_EXISTS or with the kernel's refusal.
 */
public final class PrivateNetworks {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ALIAS = "hpcvirt network owner=";
    private static final String ZERO_MAC = "00:00:00:00:00:00";
    private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}");

    private final IpCommands ip;

    /** @param ip how iproute2 runs ({@link IpCommands#SYSTEM} on a node) */
    public PrivateNetworks(IpCommands ip) {
        this.ip = ip;
    }

    /** The networks of this host, with iproute2 of this host. */
    public static PrivateNetworks system() {
        return new PrivateNetworks(IpCommands.SYSTEM);
    }

    /**
     * Creates network {@code name}: its bridge (owned by {@code owner}), its VXLAN device (VNI
     * {@code vni}, source {@code local}, UDP {@value PrivateNetwork#PORT}) on the bridge, one
     * flooding entry per peer, both up. ALREADY_EXISTS if the network exists here; INVALID_INPUT for
     * a bad name, VNI or address; OPERATION_FAILED with iproute2's message if the kernel refuses, in
     * which case nothing of the network is left.
     */
    public PrivateNetwork create(String name, int vni, String local, List<String> peers, String owner) {
        checkName(name);
        if (vni < 1 || vni > PrivateNetwork.MAX_VNI) {
            throw HpcvirtException.invalid("network '" + name + "': VNI " + vni + " is outside 1.." + PrivateNetwork.MAX_VNI);
        }
        checkAddress(name, "local", local);
        LinkedHashSet<String> others = new LinkedHashSet<>();
        for (String p : peers == null ? List.<String>of() : peers) {
            checkAddress(name, "peer", p);
            if (!p.equals(local)) {
                others.add(p);
            }
        }
        if (owner == null || owner.isBlank() || owner.chars().anyMatch(Character::isWhitespace)) {
            throw HpcvirtException.invalid("network '" + name + "': owner '" + owner + "' is not a user name");
        }
        if (exists(PrivateNetwork.bridgeOf(name))) {
            throw new HpcvirtException(ErrorCode.ALREADY_EXISTS, "private network '" + name + "' exists on this node already");
        }
        String br = PrivateNetwork.bridgeOf(name);
        String vx = PrivateNetwork.vxlanOf(name);
        try {
            must(List.of("ip", "link", "add", br, "type", "bridge"), "create bridge " + br);
            must(List.of("ip", "link", "set", "dev", br, "alias", ALIAS + owner), "name the owner of " + br);
            // no address of the host on the job's segment, not even IPv6 link-local: the guests see only each other
            must(List.of("ip", "link", "set", "dev", br, "addrgenmode", "none"), "keep " + br + " without addresses");
            must(List.of("ip", "link", "add", vx, "type", "vxlan", "id", Integer.toString(vni), "local", local, "dstport",
                    Integer.toString(PrivateNetwork.PORT)), "create VXLAN device " + vx + " (VNI " + vni + ")");
            must(List.of("ip", "link", "set", "dev", vx, "addrgenmode", "none"), "keep " + vx + " without addresses");
            must(List.of("ip", "link", "set", "dev", vx, "master", br), "put " + vx + " on " + br);
            for (String p : others) {
                must(List.of("bridge", "fdb", "append", ZERO_MAC, "dev", vx, "dst", p), "flood " + vx + " to peer " + p);
            }
            must(List.of("ip", "link", "set", "dev", vx, "up"), "bring " + vx + " up");
            must(List.of("ip", "link", "set", "dev", br, "up"), "bring " + br + " up");
        } catch (HpcvirtException e) {
            remove(vx);
            remove(br);
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "private network '" + name + "' not created: " + e.getMessage());
        }
        return find(name).orElseThrow(() -> new HpcvirtException(ErrorCode.OPERATION_FAILED, "private network '" + name
                + "' vanished right after its creation"));
    }

    /** Network {@code name} as the kernel holds it, or empty if this node has no such network. */
    public Optional<PrivateNetwork> find(String name) {
        if (!PrivateNetwork.NAME.matcher(name == null ? "" : name).matches()) {
            return Optional.empty();
        }
        String br = PrivateNetwork.bridgeOf(name);
        JsonNode bridge = link(br);
        if (bridge == null || !bridge.path("ifalias").asText("").startsWith(ALIAS)) {
            return Optional.empty();
        }
        String owner = bridge.path("ifalias").asText().substring(ALIAS.length());
        String vx = PrivateNetwork.vxlanOf(name);
        JsonNode vxlan = link(vx);
        int vni = vxlan == null ? 0 : vxlan.path("linkinfo").path("info_data").path("id").asInt(0);
        String local = vxlan == null ? null : vxlan.path("linkinfo").path("info_data").path("local").asText(null);
        List<String> peers = new ArrayList<>();
        if (vxlan != null) {
            for (JsonNode e : json(List.of("bridge", "-j", "fdb", "show", "dev", vx), "list the peers of " + vx)) {
                if (ZERO_MAC.equals(e.path("mac").asText()) && e.hasNonNull("dst")) {
                    peers.add(e.path("dst").asText());
                }
            }
        }
        List<String> taps = new ArrayList<>();
        for (JsonNode l : json(List.of("ip", "-j", "link", "show", "master", br), "list the ports of " + br)) {
            String n = l.path("ifname").asText();
            if (n.startsWith("hvt-")) {
                taps.add(n);
            }
        }
        return Optional.of(new PrivateNetwork(name, vni, local, peers, owner, br, vxlan == null ? null : vx, taps));
    }

    /** Every private network of this node, by name. */
    public List<PrivateNetwork> list() {
        List<PrivateNetwork> out = new ArrayList<>();
        for (JsonNode l : json(List.of("ip", "-j", "link", "show", "type", "bridge"), "list the bridges")) {
            String n = l.path("ifname").asText();
            if (n.startsWith("hvb-")) {
                find(n.substring(4)).ifPresent(out::add);
            }
        }
        out.sort(java.util.Comparator.comparing(PrivateNetwork::name));
        return out;
    }

    /**
     * Removes network {@code name}: its taps, its VXLAN device, its bridge (in that order, so no VM
     * frame leaves the node once its tap is gone). Returns false if there was no such network.
     * OPERATION_FAILED names what could not be removed.
     */
    public boolean delete(String name) {
        Optional<PrivateNetwork> n = find(name);
        if (n.isEmpty()) {
            return false;
        }
        List<String> left = new ArrayList<>();
        for (String tap : n.get().taps()) {
            if (!remove(tap)) {
                left.add(tap);
            }
        }
        for (String dev : new String[] {PrivateNetwork.vxlanOf(name), PrivateNetwork.bridgeOf(name)}) {
            if (!remove(dev)) {
                left.add(dev);
            }
        }
        if (!left.isEmpty()) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "private network '" + name + "': cannot remove " + String.join(", ", left));
        }
        return true;
    }

    /**
     * Throws unless {@code caller} may attach a VM to network {@code name}: the network exists on this
     * node (NOT_FOUND) and the caller is its owner or an administrator (FORBIDDEN).
     */
    public PrivateNetwork requireUsable(String name, Caller caller, String vm) {
        PrivateNetwork n = find(name).orElseThrow(() -> missing(name, vm));
        if (!caller.anyOwner() && !caller.name().equals(n.owner())) {
            throw new HpcvirtException(ErrorCode.FORBIDDEN, "private network '" + name + "' is " + n.owner() + "'s: VM '" + vm
                    + "' of " + caller.name() + " may not attach to it");
        }
        return n;
    }

    /**
     * Attaches VM {@code vm} to network {@code name}: makes its tap ({@link PrivateNetwork#tapOf}) if
     * missing, puts it on the network's bridge and brings it up; returns the tap's name. NOT_FOUND if
     * the network does not exist here. Called before QEMU starts, which opens the tap.
     */
    public String attach(String vm, String name) {
        String br = PrivateNetwork.bridgeOf(name);
        JsonNode bridge = PrivateNetwork.NAME.matcher(name == null ? "" : name).matches() ? link(br) : null;
        if (bridge == null || !bridge.path("ifalias").asText("").startsWith(ALIAS)) {
            throw missing(name, vm);
        }
        String tap = PrivateNetwork.tapOf(vm);
        if (link(tap) == null) {
            must(List.of("ip", "tuntap", "add", "dev", tap, "mode", "tap"), "create tap " + tap + " of VM '" + vm + "'");
        }
        try {
            must(List.of("ip", "link", "set", "dev", tap, "alias", "hpcvirt vm=" + vm), "name the VM of tap " + tap);
            must(List.of("ip", "link", "set", "dev", tap, "addrgenmode", "none"), "keep tap " + tap + " without addresses");
            must(List.of("ip", "link", "set", "dev", tap, "master", br), "put tap " + tap + " on " + br);
            must(List.of("ip", "link", "set", "dev", tap, "up"), "bring tap " + tap + " up");
        } catch (HpcvirtException e) {
            remove(tap);
            throw e;
        }
        return tap;
    }

    /** Removes VM {@code vm}'s tap if it has one (its VM is destroyed). Returns whether there was one. */
    public boolean detach(String vm) {
        String tap = PrivateNetwork.tapOf(vm);
        return link(tap) != null && remove(tap);
    }

    private static HpcvirtException missing(String name, String vm) {
        return new HpcvirtException(ErrorCode.NOT_FOUND, "VM '" + vm + "': private network '" + name + "' does not exist on this node"
                + " (a job's Prolog makes it for its VMs; see docs/vse.md)");
    }

    private static void checkName(String name) {
        if (name == null || !PrivateNetwork.NAME.matcher(name).matches()) {
            throw HpcvirtException.invalid("'" + name + "' is not a network name (1 to 11 of a-z and 0-9, starting with a letter)");
        }
    }

    private static void checkAddress(String name, String what, String a) {
        if (a == null || !IPV4.matcher(a).matches()) {
            throw HpcvirtException.invalid("network '" + name + "': " + what + " address '" + a + "' is not an IPv4 address");
        }
    }

    private boolean exists(String dev) {
        return link(dev) != null;
    }

    /** The interface's JSON description, or null if there is none of that name. */
    private JsonNode link(String dev) {
        IpCommands.Result r = ip.run(List.of("ip", "-j", "-d", "link", "show", "dev", dev));
        if (!r.ok()) {
            if (r.output().contains("does not exist")) {
                return null;
            }
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot look at interface " + dev + ": " + r.output().strip());
        }
        JsonNode a = parse(r.output(), "ip link show dev " + dev);
        return a.isArray() && !a.isEmpty() ? a.get(0) : null;
    }

    private JsonNode json(List<String> argv, String what) {
        IpCommands.Result r = ip.run(argv);
        if (!r.ok()) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot " + what + ": " + r.output().strip());
        }
        return r.output().isBlank() ? JSON.createArrayNode() : parse(r.output(), String.join(" ", argv));
    }

    private static JsonNode parse(String text, String what) {
        try {
            return JSON.readTree(text);
        } catch (java.io.IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "'" + what + "' printed no JSON: " + e.getMessage());
        }
    }

    private void must(List<String> argv, String what) {
        IpCommands.Result r = ip.run(argv);
        if (!r.ok()) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot " + what + ": " + r.output().strip());
        }
    }

    /** Deletes interface {@code dev}; true if it is gone (also if it never was). */
    private boolean remove(String dev) {
        IpCommands.Result r = ip.run(List.of("ip", "link", "del", "dev", dev));
        return r.ok() || r.output().contains("does not exist") || r.output().contains("Cannot find device");
    }
}
