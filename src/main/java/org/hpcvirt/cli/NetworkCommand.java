package org.hpcvirt.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.hpcvirt.api.Operation;
import org.hpcvirt.daemon.DaemonClient;
import org.hpcvirt.network.PrivateNetwork;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code hpcvirt network list|create|delete}: each verb is one operation of the node daemon. */
@Command(name = "network", description = "The node's private networks: a bridge and a VXLAN device per network, a tap per VM (see docs/vse.md).",
        subcommands = {NetworkCommand.ListNetworks.class, NetworkCommand.Create.class, NetworkCommand.Delete.class})
public final class NetworkCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "list", description = "List the node's private networks with their VNI, peers, owner and taps.")
    static final class ListNetworks implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try (DaemonClient c = VmCommand.client()) {
                List<PrivateNetwork> all = List.of(c.execute(new Operation.ListNetworks(), PrivateNetwork[].class));
                if (json) {
                    Output.json(out, all);
                    return 0;
                }
                out.printf("%-12s %-9s %-15s %-10s %-5s %s%n", "NAME", "VNI", "LOCAL", "OWNER", "TAPS", "PEERS");
                for (PrivateNetwork n : all) {
                    out.printf("%-12s %-9d %-15s %-10s %-5d %s%n", n.name(), n.vni(), n.local(), n.owner(), n.taps().size(),
                            String.join(",", n.peers()));
                }
            }
            return 0;
        }
    }

    @Command(name = "create", description = "Create a private network on this node (administrators; a job's Prolog does it for network: private).")
    static final class Create implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME", description = "1 to 11 of a-z and 0-9, starting with a letter.")
        String name;

        @Option(names = "--vni", required = true, paramLabel = "N", description = "VXLAN network identifier, the same on every node (1..16777215).")
        Integer vni;

        @Option(names = "--local", required = true, paramLabel = "ADDR", description = "This node's IPv4 address, the tunnel's source.")
        String local;

        @Option(names = "--peer", paramLabel = "ADDR", description = "Another node's IPv4 address (repeat for each).")
        List<String> peers;

        @Option(names = "--owner", paramLabel = "USER", description = "The user whose VMs may attach (default: you).")
        String owner;

        @Override
        public Integer call() {
            try (DaemonClient c = VmCommand.client()) {
                PrivateNetwork n = c.execute(new Operation.CreateNetwork(name, vni, local, peers, owner), PrivateNetwork.class);
                spec.commandLine().getOut().printf("created network %s: %s and %s (VNI %d from %s to %s), owner %s%n", n.name(), n.bridge(),
                        n.vxlan(), n.vni(), n.local(), n.peers().isEmpty() ? "no peer" : String.join(", ", n.peers()), n.owner());
            }
            return 0;
        }
    }

    @Command(name = "delete", description = "Remove a private network from this node with the taps of its VMs.")
    static final class Delete implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        public Integer call() {
            try (DaemonClient c = VmCommand.client()) {
                Map<?, ?> r = c.execute(new Operation.DeleteNetwork(name), Map.class);
                spec.commandLine().getOut().printf(Boolean.TRUE.equals(r.get("deleted")) ? "deleted network %s%n" : "no network %s here%n", name);
            }
            return 0;
        }
    }
}
