package org.hpcvirt.network;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.regex.Pattern;

/**
 * One private network as this node's kernel holds it: bridge {@code hvb-NAME}, VXLAN device
 * {@code hvx-NAME} (VNI {@code vni}, source address {@code local}, UDP port {@value #PORT}) with one
 * flooding entry per peer node, and the taps of the VMs attached to it. Also the naming rules that
 * tie VMs to networks: every name here is derived, so a restarted daemon finds everything by name.
 * Immutable.
 *
 * @param name   the network's name ({@link #NAME}: up to 11 of a-z and 0-9, starting with a letter)
 * @param vni    the VXLAN network identifier, the same on every node of the network
 * @param local  this node's address, the source of the encapsulated frames
 * @param peers  the other nodes' addresses, which every broadcast and unknown frame is sent to
 * @param owner  the user whose VMs may attach to it (besides administrators)
 * @param bridge the bridge's interface name
 * @param vxlan  the VXLAN device's interface name
 * @param taps   the taps attached to the bridge (one per VM)
 */
public record PrivateNetwork(String name, int vni, String local, List<String> peers, String owner, String bridge, String vxlan,
        List<String> taps) {
    /** Network names: they become interface names of at most 15 characters ({@code hvb-} + 11). */
    public static final Pattern NAME = org.hpcvirt.profile.ProfileLoader.NETWORK_NAME;
    /** The VXLAN UDP port (IANA's). */
    public static final int PORT = 4789;
    /** Largest VXLAN network identifier (24 bits). */
    public static final int MAX_VNI = 0xFFFFFF;
    /** The MTU a guest uses on a private network: 1500 less the 50 bytes of VXLAN encapsulation. */
    public static final int GUEST_MTU = 1450;
    /** The guests' subnet on every private network; each network is its own layer-2 segment, so all reuse it. */
    public static final String GUEST_SUBNET = "10.200.100.0/24";
    /** Most guests on one network (host numbers 1..254 of {@link #GUEST_SUBNET}). */
    public static final int MAX_GUESTS = 254;

    public PrivateNetwork {
        peers = List.copyOf(peers);
        taps = List.copyOf(taps);
    }

    /** The bridge of network {@code name}. */
    public static String bridgeOf(String name) {
        return "hvb-" + name;
    }

    /** The VXLAN device of network {@code name}. */
    public static String vxlanOf(String name) {
        return "hvx-" + name;
    }

    /** The tap of VM {@code vm}: {@code hvt-} and 11 hex digits of the SHA-256 of its name (VM names are longer than interface names). */
    public static String tapOf(String vm) {
        return "hvt-" + hex(digest(vm)).substring(0, 11);
    }

    /**
     * The MAC address of VM {@code vm} on a private network: locally administered, unicast, from the
     * SHA-256 of its name, so QEMU's device and the guest agree without being told, also in a VM
     * restored from another VM's checkpoint.
     */
    public static String macOf(String vm) {
        byte[] d = digest(vm);
        StringBuilder b = new StringBuilder("02");
        for (int i = 8; i < 13; i++) {
            b.append(':').append(String.format("%02x", d[i] & 0xff));
        }
        return b.toString();
    }

    /** The guest address of host number {@code k} (1..{@value #MAX_GUESTS}) in {@link #GUEST_SUBNET}. */
    public static String guestAddress(int k) {
        if (k < 1 || k > MAX_GUESTS) {
            throw new IllegalArgumentException("host number " + k + " is outside 1.." + MAX_GUESTS);
        }
        return "10.200.100." + k;
    }

    private static byte[] digest(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String hex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (byte x : b) {
            s.append(String.format("%02x", x & 0xff));
        }
        return s.toString();
    }
}
