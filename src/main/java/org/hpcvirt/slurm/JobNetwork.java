package org.hpcvirt.slurm;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Operation;
import org.hpcvirt.daemon.DaemonClient;
import org.hpcvirt.guest.ExecResult;
import org.hpcvirt.network.PrivateNetwork;

/**
 * The private network of one Slurm job ({@code network: private} in its VSE), as the job's Prolog
 * and Epilog see it: network {@code j<JOB>} on every node of the job, VNI from the job id, the
 * nodes' addresses from the cluster's node configuration ({@link ClusterNodes}), and every VM of
 * the job with its host number, address and name, the same list on every node (the job's node list
 * in Slurm's order × {@code vmsPerNode}). The node's daemon makes and removes the network
 * ({@link Operation.CreateNetwork}, {@link Operation.DeleteNetwork}); the guests are configured
 * through their agents after the first heartbeat, which works alike for a cold boot and for VMs
 * restored from one post-boot checkpoint. Immutable.
 *
 * @param job     the job's id
 * @param members every VM of the job, in host-number order
 */
public record JobNetwork(String job, List<Member> members) {
    private static final Duration SETUP = Duration.ofSeconds(30);

    public JobNetwork {
        members = List.copyOf(members);
    }

    /**
     * One VM of the job on the network.
     *
     * @param vm      its name ({@link SlurmJob#vmName})
     * @param node    the node it runs on
     * @param host    its host number (1..254)
     * @param address its guest address in {@link PrivateNetwork#GUEST_SUBNET}
     * @param mac     its MAC address ({@link PrivateNetwork#macOf})
     */
    public record Member(String vm, String node, int host, String address, String mac) {
    }

    /** The plan of job {@code job}'s network: INVALID_INPUT if the job has more VMs than the subnet has hosts. */
    public static JobNetwork of(SlurmJob job, int vmsPerNode) {
        int total = job.nodes().size() * vmsPerNode;
        if (total > PrivateNetwork.MAX_GUESTS) {
            throw HpcvirtException.invalid("network: private joins at most " + PrivateNetwork.MAX_GUESTS + " VMs; job " + job.id() + " has "
                    + job.nodes().size() + " nodes × " + vmsPerNode + " VMs = " + total);
        }
        List<Member> m = new ArrayList<>();
        for (int n = 0; n < job.nodes().size(); n++) {
            for (int i = 0; i < vmsPerNode; i++) {
                String vm = SlurmJob.vmName(job.id(), job.nodes().get(n), i);
                int host = n * vmsPerNode + i + 1;
                m.add(new Member(vm, job.nodes().get(n), host, PrivateNetwork.guestAddress(host), PrivateNetwork.macOf(vm)));
            }
        }
        return new JobNetwork(job.id(), m);
    }

    /** The network's name on every node: {@code j<JOB>} (job ids have at most 10 digits). */
    public static String nameOf(String jobId) {
        return "j" + jobId;
    }

    /** The job id of network {@code name} made by {@link #nameOf}, or null. */
    public static String jobOf(String name) {
        return name != null && name.matches("j[0-9]{1,10}") ? name.substring(1) : null;
    }

    /**
     * The VXLAN network identifier of job {@code jobId}: 1..16777215 from the id. Job ids 16777215
     * apart share one; the kernel refuses the second on a node where both would run.
     */
    public static int vniOf(String jobId) {
        return (int) ((Long.parseLong(jobId) - 1) % PrivateNetwork.MAX_VNI) + 1;
    }

    public String name() {
        return nameOf(job);
    }

    /** The members on {@code node}. */
    public List<Member> on(String node) {
        return members.stream().filter(m -> m.node().equals(node)).toList();
    }

    /**
     * Makes the network on {@code node} through its daemon, owned by {@code user}: source this node's
     * address, peers the job's other nodes, all taken from {@code nodes}. NOT_FOUND if a node of the
     * job is not in the configuration.
     */
    public PrivateNetwork create(DaemonClient daemon, String node, String user, ClusterNodes nodes) {
        String local = addressOf(nodes, node);
        List<String> peers = new ArrayList<>();
        for (String n : members.stream().map(Member::node).distinct().toList()) {
            if (!n.equals(node)) {
                peers.add(addressOf(nodes, n));
            }
        }
        return daemon.execute(new Operation.CreateNetwork(name(), vniOf(job), local, peers, user), PrivateNetwork.class);
    }

    /**
     * Gives each VM of {@code vms} (running, with an agent) its address, MAC, MTU, host name and an
     * {@code /etc/hosts} that names every VM of the job. OPERATION_FAILED names the VM whose set-up failed.
     */
    public void configure(DaemonClient daemon, List<String> vms) {
        for (String vm : vms) {
            Member self = members.stream().filter(m -> m.vm().equals(vm)).findFirst()
                    .orElseThrow(() -> new HpcvirtException(ErrorCode.INTERNAL, "VM " + vm + " is not on the network of job " + job));
            ExecResult r = daemon.exec(vm, guestSetup(self), SETUP);
            if (r.exitCode() != 0) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "VM " + vm + ": private network set-up failed (exit " + r.exitCode()
                        + "): " + r.output().strip());
            }
        }
    }

    /** The shell command (busybox sh in the guest) that sets {@code self} up on the network. */
    String guestSetup(Member self) {
        StringBuilder hosts = new StringBuilder("127.0.0.1 localhost\\n");
        for (Member m : members) {
            hosts.append(m.address()).append(' ').append(m.vm()).append("\\n");
        }
        // restored VMs all come from one checkpoint: MAC, host name and address are set here, not at boot
        return "i=0; while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done; "
                + "ip link set eth0 down && ip link set eth0 address " + self.mac() + " && ip link set eth0 mtu " + PrivateNetwork.GUEST_MTU
                + " && ip addr flush dev eth0 && ip addr add " + self.address() + "/24 dev eth0 && ip link set eth0 up"
                + " && hostname " + self.vm() + " && printf '" + hosts + "' > /etc/hosts";
    }

    /** Removes job {@code jobId}'s network from the node; true if there was one. */
    public static boolean delete(DaemonClient daemon, String jobId) {
        @SuppressWarnings("unchecked")
        Map<String, Object> r = daemon.execute(new Operation.DeleteNetwork(nameOf(jobId)), Map.class);
        return Boolean.TRUE.equals(r.get("deleted"));
    }

    /** Removes the networks of jobs not in {@code active} (their Epilog never ran here); returns their names. */
    public static List<String> reconcile(DaemonClient daemon, Set<String> active, java.io.PrintStream log) {
        List<String> removed = new ArrayList<>();
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> all = daemon.execute(new Operation.ListNetworks(), List.class);
        for (Map<String, Object> n : all) {
            String name = String.valueOf(n.get("name"));
            String job = jobOf(name);
            if (job != null && !active.contains(job)) {
                try {
                    delete(daemon, job);
                    removed.add(name);
                    log.println("hpcvirt: removed private network " + name + ": Slurm no longer runs job " + job + " here");
                } catch (HpcvirtException e) {
                    log.println("hpcvirt: cannot remove private network " + name + ": " + HpcvirtException.chain(e));
                }
            }
        }
        return removed;
    }

    /** The IPv4 address of {@code node}'s daemon in {@code nodes} (the host of its URL, resolved). */
    static String addressOf(ClusterNodes nodes, String node) {
        String url = nodes.nodes().get(node);
        if (url == null) {
            throw HpcvirtException.notFound("node " + node + " in the cluster's node configuration (nodes: "
                    + String.join(", ", nodes.nodes().keySet()) + "), which network: private needs for the tunnel");
        }
        String host;
        try {
            host = URI.create(url).getHost();
        } catch (IllegalArgumentException e) {
            host = null;
        }
        if (host == null) {
            throw HpcvirtException.invalid("the cluster's node configuration: node " + node + ": '" + url + "' is not a URL");
        }
        try {
            InetAddress a = InetAddress.getByName(host);
            if (!(a instanceof java.net.Inet4Address)) {
                throw HpcvirtException.invalid("node " + node + ": " + host + " is not an IPv4 address; private networks tunnel over IPv4");
            }
            return a.getHostAddress();
        } catch (UnknownHostException e) {
            throw HpcvirtException.invalid("node " + node + ": cannot resolve " + host + " (the cluster's node configuration)");
        }
    }
}
