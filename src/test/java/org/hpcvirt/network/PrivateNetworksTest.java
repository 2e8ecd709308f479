package org.hpcvirt.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.hpcvirt.api.Caller;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.junit.jupiter.api.Test;

/** Names, MACs and addresses of private networks, and the iproute2 commands they run, against a fake kernel. */
class PrivateNetworksTest {
    /** A fake iproute2: records every argument list, answers from a map of interfaces. */
    private static final class FakeIp implements IpCommands {
        final List<List<String>> calls = new ArrayList<>();
        final Map<String, String> links = new HashMap<>();
        String failOn;

        @Override
        public Result run(List<String> argv) {
            calls.add(argv);
            String joined = String.join(" ", argv);
            if (failOn != null && joined.contains(failOn)) {
                return new Result(2, "RTNETLINK answers: File exists");
            }
            if (joined.startsWith("ip -j -d link show dev ")) {
                String dev = argv.get(argv.size() - 1);
                return links.containsKey(dev) ? new Result(0, "[" + links.get(dev) + "]") : new Result(1, "Device \"" + dev + "\" does not exist.");
            }
            if (argv.get(0).equals("ip") && argv.get(1).equals("link") && argv.get(2).equals("add")) {
                links.put(argv.get(3), "{\"ifname\":\"" + argv.get(3) + "\"}");
            }
            if (argv.get(0).equals("ip") && argv.get(1).equals("link") && argv.get(2).equals("set") && argv.get(5).equals("alias")) {
                links.put(argv.get(4), "{\"ifname\":\"" + argv.get(4) + "\",\"ifalias\":\"" + argv.get(6) + "\"}");
            }
            if (joined.startsWith("ip tuntap add dev ")) {
                links.put(argv.get(4), "{\"ifname\":\"" + argv.get(4) + "\"}");
            }
            if (joined.startsWith("ip link del dev ")) {
                return links.remove(argv.get(4)) != null ? new Result(0, "") : new Result(1, "Cannot find device \"" + argv.get(4) + "\"");
            }
            if (joined.startsWith("ip -j link show master ") || joined.startsWith("bridge -j fdb") || joined.startsWith("ip -j link show type")) {
                return new Result(0, "[]");
            }
            return new Result(0, "");
        }

        List<String> mutations() {
            return calls.stream().map(c -> String.join(" ", c)).filter(c -> !c.contains(" -j ")).toList();
        }
    }

    @Test
    void namesFitInterfaceNamesAndAreDerivedFromTheVmName() {
        assertThat(PrivateNetwork.bridgeOf("j4294967295")).isEqualTo("hvb-j4294967295").hasSizeLessThanOrEqualTo(15);
        assertThat(PrivateNetwork.vxlanOf("j42")).isEqualTo("hvx-j42");
        String vm = "j4294967295-some-very-long-node-name-0";
        assertThat(PrivateNetwork.tapOf(vm)).matches("hvt-[0-9a-f]{11}").isEqualTo(PrivateNetwork.tapOf(vm))
                .isNotEqualTo(PrivateNetwork.tapOf("j4294967295-some-very-long-node-name-1"));
        assertThat(PrivateNetwork.macOf(vm)).matches("02(:[0-9a-f]{2}){5}").isEqualTo(PrivateNetwork.macOf(vm))
                .isNotEqualTo(PrivateNetwork.macOf("j42-hvs-n1-0"));
        assertThat(PrivateNetwork.guestAddress(1)).isEqualTo("10.200.100.1");
        assertThat(PrivateNetwork.guestAddress(254)).isEqualTo("10.200.100.254");
        assertThatThrownBy(() -> PrivateNetwork.guestAddress(255)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void createRunsBridgeVxlanAndOneFloodEntryPerPeer() {
        FakeIp ip = new FakeIp();
        new PrivateNetworks(ip).create("j42", 42, "10.200.60.1", List.of("10.200.60.2", "10.200.60.1", "10.200.60.3"), "alice");
        assertThat(ip.mutations()).containsExactly(
                "ip link add hvb-j42 type bridge",
                "ip link set dev hvb-j42 alias hpcvirt network owner=alice",
                "ip link set dev hvb-j42 addrgenmode none",
                "ip link add hvx-j42 type vxlan id 42 local 10.200.60.1 dstport 4789",
                "ip link set dev hvx-j42 addrgenmode none",
                "ip link set dev hvx-j42 master hvb-j42",
                "bridge fdb append 00:00:00:00:00:00 dev hvx-j42 dst 10.200.60.2",
                "bridge fdb append 00:00:00:00:00:00 dev hvx-j42 dst 10.200.60.3",
                "ip link set dev hvx-j42 up",
                "ip link set dev hvb-j42 up");
        // one argument per word: the alias is one argument, nothing goes through a shell
        assertThat(ip.calls).contains(List.of("ip", "link", "set", "dev", "hvb-j42", "alias", "hpcvirt network owner=alice"));
    }

    @Test
    void aCreationTheKernelRefusesPartWayLeavesNothing() {
        FakeIp ip = new FakeIp();
        ip.failOn = "type vxlan";
        assertThatThrownBy(() -> new PrivateNetworks(ip).create("j42", 42, "10.200.60.1", List.of("10.200.60.2"), "alice"))
                .isInstanceOf(HpcvirtException.class)
                .hasMessage("private network 'j42' not created: cannot create VXLAN device hvx-j42 (VNI 42): RTNETLINK answers: File exists");
        assertThat(ip.links).isEmpty();
        assertThat(ip.mutations()).contains("ip link del dev hvb-j42");
    }

    @Test
    void badRequestsAreRefusedBeforeAnyCommand() {
        FakeIp ip = new FakeIp();
        PrivateNetworks n = new PrivateNetworks(ip);
        assertThatThrownBy(() -> n.create("br0-host", 1, "10.0.0.1", List.of(), "a"))
                .hasMessage("'br0-host' is not a network name (1 to 11 of a-z and 0-9, starting with a letter)");
        assertThatThrownBy(() -> n.create("j1", 0, "10.0.0.1", List.of(), "a")).hasMessage("network 'j1': VNI 0 is outside 1..16777215");
        assertThatThrownBy(() -> n.create("j1", 1, "10.0.0.1", List.of("node2"), "a"))
                .hasMessage("network 'j1': peer address 'node2' is not an IPv4 address");
        assertThatThrownBy(() -> n.create("j1", 1, "10.0.0.1", List.of(), "a b")).hasMessage("network 'j1': owner 'a b' is not a user name");
        assertThat(ip.calls).isEmpty();
        ip.links.put("hvb-j1", "{\"ifname\":\"hvb-j1\",\"ifalias\":\"hpcvirt network owner=a\"}");
        assertThatThrownBy(() -> n.create("j1", 1, "10.0.0.1", List.of(), "a"))
                .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.ALREADY_EXISTS));
    }

    @Test
    void onlyItsOwnerAndAdministratorsAttachToANetworkAndOnlyToAnExistingOne() {
        FakeIp ip = new FakeIp();
        PrivateNetworks n = new PrivateNetworks(ip);
        assertThatThrownBy(() -> n.requireUsable("j42", Caller.user("alice", 1000), "vm1"))
                .hasMessage("VM 'vm1': private network 'j42' does not exist on this node (a job's Prolog makes it for its VMs; see docs/vse.md)");
        // a host bridge that hpcvirt did not make is no private network
        ip.links.put("hvb-j42", "{\"ifname\":\"hvb-j42\"}");
        assertThatThrownBy(() -> n.attach("vm1", "j42")).satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.NOT_FOUND));
        ip.links.put("hvb-j42", "{\"ifname\":\"hvb-j42\",\"ifalias\":\"hpcvirt network owner=alice\"}");
        assertThat(n.requireUsable("j42", Caller.user("alice", 1000), "vm1").owner()).isEqualTo("alice");
        assertThat(n.requireUsable("j42", Caller.admin("root", 0), "vm1").name()).isEqualTo("j42");
        assertThatThrownBy(() -> n.requireUsable("j42", Caller.user("bob", 1001), "vm2"))
                .hasMessage("private network 'j42' is alice's: VM 'vm2' of bob may not attach to it");
    }

    @Test
    void attachMakesTheTapOnTheBridgeAndDeleteRemovesTapsVxlanAndBridge() {
        FakeIp ip = new FakeIp();
        PrivateNetworks n = new PrivateNetworks(ip);
        n.create("j42", 42, "10.200.60.1", List.of("10.200.60.2"), "alice");
        ip.calls.clear();
        String tap = n.attach("j42-hvs-n1-0", "j42");
        assertThat(tap).isEqualTo(PrivateNetwork.tapOf("j42-hvs-n1-0"));
        assertThat(ip.mutations()).containsExactly(
                "ip tuntap add dev " + tap + " mode tap",
                "ip link set dev " + tap + " alias hpcvirt vm=j42-hvs-n1-0",
                "ip link set dev " + tap + " addrgenmode none",
                "ip link set dev " + tap + " master hvb-j42",
                "ip link set dev " + tap + " up");
        assertThat(n.delete("j42")).isTrue();
        assertThat(ip.links).doesNotContainKeys("hvb-j42", "hvx-j42");
        assertThat(n.delete("j42")).isFalse();
    }
}
