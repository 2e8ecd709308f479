package org.hpcvirt.slurm;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.cluster.TlsMaterial;
import org.hpcvirt.daemon.DaemonClient;
import org.hpcvirt.daemon.RemoteAuth;
import org.hpcvirt.ft.StrictYaml;

/**
 * How commands inside a job reach the hpcvirt daemons of the job's nodes: the administrator's
 * {@code /etc/hpcvirt/slurm.yaml} (or the file named by {@code HPCVIRT_SLURM_CONF}):
 * <pre>
 * tls: /etc/hpcvirt/tls/{node}      # the TLS material of the node the command runs on ({node} = its name)
 * nodes:                            # each compute node's daemon
 *   hvs-n1: https://10.200.60.1:7700
 *   hvs-n2: https://10.200.60.2:7700
 * </pre>
 * Requests go over the cluster's mutual TLS with the certificate of the node the command runs on
 * (its daemon's own; readable by root, so jobs of other users need a scoped token, not yet
 * supported). Immutable.
 *
 * @param tls   the TLS directory pattern
 * @param nodes node name → daemon URL
 */
public record ClusterNodes(String tls, Map<String, String> nodes) {
    /** The default configuration file. */
    public static final Path DEFAULT = Path.of("/etc/hpcvirt/slurm.yaml");
    /** The variable naming another one. */
    public static final String ENV = "HPCVIRT_SLURM_CONF";

    public ClusterNodes {
        nodes = nodes == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(nodes));
    }

    /**
     * The configuration in force, or empty when this host has none (not a Slurm compute node of
     * hpcvirt's).
     *
     * @throws HpcvirtException INVALID_INPUT if there is one and it is malformed
     */
    public static java.util.Optional<ClusterNodes> ifConfigured() {
        return Files.isRegularFile(file()) ? java.util.Optional.of(inForce()) : java.util.Optional.empty();
    }

    private static Path file() {
        String env = System.getenv(ENV);
        return env != null && !env.isBlank() ? Path.of(env) : DEFAULT;
    }

    /** Reads the configuration in force ({@value #ENV}, else {@link #DEFAULT}). */
    public static ClusterNodes inForce() {
        Path file = file();
        if (!Files.isRegularFile(file)) {
            throw HpcvirtException.notFound("the cluster's node configuration " + file + " (set " + ENV
                    + " or write it; 'hpcvirt slurm config' shows its form)");
        }
        ClusterNodes c = StrictYaml.read(file, ClusterNodes.class);
        if (c.tls() == null) {
            throw HpcvirtException.invalid(file + ": field 'tls': missing");
        }
        return c;
    }

    /**
     * A client of {@code node}'s daemon, authenticated as {@code self} (the node this runs on).
     * The caller closes it.
     */
    public DaemonClient client(String node, String self) {
        String url = nodes.get(node);
        if (url == null) {
            throw HpcvirtException.notFound("node " + node + " in the cluster's node configuration (nodes: "
                    + String.join(", ", nodes.keySet()) + ")");
        }
        TlsMaterial material = TlsMaterial.load(Path.of(tls.replace("{node}", self)));
        return DaemonClient.remote(url, RemoteAuth.node(material));
    }
}
