package org.hpcvirt.api;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The node's settings from the environment, read and validated once, in one place: every
 * {@code HPCVIRT_*} variable hpcvirt knows, with its meaning below. A malformed value is an
 * INVALID_INPUT error naming the variable, reported for all variables at once. Immutable; the
 * process-wide instance is {@link #current()}.
 *
 * @param home          {@code HPCVIRT_HOME}, else {@code $XDG_DATA_HOME/hpcvirt}, else
 *                      {@code ~/.local/share/hpcvirt}: where the node keeps its state; the system property
 *                      {@code hpcvirt.home} (set by tests and for spawned daemons) wins over all but
 *                      {@code HPCVIRT_HOME}, see {@link #homeNow()}
 * @param store         {@code HPCVIRT_STORE}: the checkpoint store, shared between nodes at the same path;
 *                      null: {@code HOME/checkpoints}; the system property {@code hpcvirt.store} wins over it,
 *                      see {@link #checkpointStore}
 * @param qemuBinary    {@code HPCVIRT_QEMU}: the QEMU binary (default {@code qemu-system-x86_64} from PATH)
 * @param nodeName      {@code HPCVIRT_NODE}: this node's name (default: the host name)
 * @param peers         {@code HPCVIRT_PEERS}: {@code name=https://host:port,…}, the other nodes' daemons ({@code http://}
 *                      only for a plain-TCP lab, see {@code insecureTcp})
 * @param maxDiskLayers {@code HPCVIRT_MAX_DISK_LAYERS}: frozen disk layers after which a chain is flattened (1–10000)
 * @param listen        {@code HPCVIRT_LISTEN}: {@code ADDR:PORT} of the daemon's TCP listener, or null
 * @param tokenFile     {@code HPCVIRT_TOKEN_FILE}: the lab's shared token for plain TCP ({@code insecureTcp}), or null
 * @param metrics       {@code HPCVIRT_METRICS}: {@code ADDR:PORT} (or a port alone, for loopback) of the daemon's
 *                      plain-HTTP metrics listener, or null; parsed by the daemon when it starts, like {@code listen}
 * @param debug         {@code HPCVIRT_DEBUG} set: the CLI prints stack traces
 * @param homeFixed     {@code HPCVIRT_HOME} was set (it then wins over the system property)
 * @param adminGroup    {@code HPCVIRT_ADMIN_GROUP}: the Unix group whose members (besides root) may act on
 *                      every VM and on the node (default {@value #DEFAULT_ADMIN_GROUP}; a group that does not
 *                      exist has no members)
 * @param readOthers    {@code HPCVIRT_READ_OTHERS}: {@code yes} lets every local user see (not touch) all VMs
 *                      and checkpoints; default {@code no}: a user sees their own only
 * @param tls           {@code HPCVIRT_TLS}: the node's directory from {@code hpcvirt cluster init}
 *                      ({@code DIR/nodes/NAME}: its key, certificate and the cluster trust store), or null
 * @param tokens        {@code HPCVIRT_TOKENS}: the scoped tokens file the daemon accepts over TCP, or null
 * @param insecureTcp   {@code HPCVIRT_INSECURE_TCP}: {@code yes} allows plain TCP between daemons (a lab
 *                      switch: tokens then travel in clear); default {@code no}
 * @param nodeWatch     {@code HPCVIRT_NODE_WATCH}: on a Slurm compute node, how long a watched node's hpcvirt
 *                      daemon and slurmd must both be silent before this daemon sets it DOWN in Slurm
 *                      (1s to 10m, default {@link #DEFAULT_NODE_WATCH}), or null for {@code off}
 */
public record NodeConfig(Path home, Path store, String qemuBinary, String nodeName, Map<String, String> peers, int maxDiskLayers,
        String listen, Path tokenFile, String metrics, boolean debug, boolean homeFixed, String adminGroup, boolean readOthers,
        Path tls, Path tokens, boolean insecureTcp, java.time.Duration nodeWatch) {

    /** Default of {@link #nodeWatch}. */
    public static final java.time.Duration DEFAULT_NODE_WATCH = java.time.Duration.ofSeconds(5);

    /** Default of {@link #adminGroup}. */
    public static final String DEFAULT_ADMIN_GROUP = "hpcvirt-admin";

    /** Default of {@link #maxDiskLayers}. */
    public static final int DEFAULT_MAX_DISK_LAYERS = 4;

    /**
     * {@code n} if it is a valid maximum number of frozen disk layers (1 to 10000).
     *
     * @throws HpcvirtException INVALID_INPUT otherwise
     */
    public static int checkedMaxDiskLayers(int n) {
        if (n < 1 || n > 10_000) {
            throw HpcvirtException.invalid("the maximum number of disk layers must be between 1 and 10000, not " + n);
        }
        return n;
    }

    private static volatile NodeConfig current;

    public NodeConfig {
        peers = Collections.unmodifiableMap(new LinkedHashMap<>(peers));
    }

    /** The settings of this process's environment, read at the first call. */
    public static NodeConfig current() {
        NodeConfig c = current;
        if (c == null) {
            synchronized (NodeConfig.class) {
                if (current == null) {
                    // system properties are read where they are used (tests and spawned daemons set them)
                    Properties base = new Properties();
                    base.setProperty("user.home", System.getProperty("user.home"));
                    current = from(System.getenv(), base);
                }
                c = current;
            }
        }
        return c;
    }

    /**
     * Settings from an environment and system properties.
     *
     * @throws HpcvirtException INVALID_INPUT listing every malformed variable
     */
    public static NodeConfig from(Map<String, String> env, Properties props) {
        List<String> problems = new ArrayList<>();
        Path home = home(env, props);
        String storeText = firstSet(props.getProperty("hpcvirt.store"), env.get("HPCVIRT_STORE"));
        Path store = storeText == null ? null : Path.of(storeText).toAbsolutePath().normalize();
        String qemu = firstSet(env.get("HPCVIRT_QEMU"), "qemu-system-x86_64");
        String node = firstSet(env.get("HPCVIRT_NODE"), null);
        if (node == null) {
            try {
                node = java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.net.UnknownHostException e) {
                node = "localhost";
            }
        } else if (!node.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,62}")) {
            problems.add("HPCVIRT_NODE: '" + node + "' is not a node name (letters, digits, '.', '_', '-'; at most 63)");
        }
        Map<String, String> peers = new LinkedHashMap<>();
        String peerText = env.get("HPCVIRT_PEERS");
        if (peerText != null && !peerText.isBlank()) {
            for (String part : peerText.split(",")) {
                String[] kv = part.trim().split("=", 2);
                if (kv.length != 2 || kv[0].isBlank() || !kv[1].matches("https?://[A-Za-z0-9.:\\[\\]-]+:[0-9]{1,5}/?")) {
                    problems.add("HPCVIRT_PEERS: '" + part.trim() + "' is not NAME=https://HOST:PORT");
                } else {
                    peers.put(kv[0].trim(), kv[1].trim().replaceAll("/$", ""));
                }
            }
        }
        int layers = DEFAULT_MAX_DISK_LAYERS;
        String layerText = env.get("HPCVIRT_MAX_DISK_LAYERS");
        if (layerText != null && !layerText.isBlank()) {
            try {
                layers = checkedMaxDiskLayers(Integer.parseInt(layerText.trim()));
            } catch (HpcvirtException e) {
                problems.add("HPCVIRT_MAX_DISK_LAYERS: " + e.getMessage());
            } catch (NumberFormatException e) {
                problems.add("HPCVIRT_MAX_DISK_LAYERS: '" + layerText + "' is not a whole number");
            }
        }
        String listen = firstSet(env.get("HPCVIRT_LISTEN"), null);
        String tokenText = firstSet(env.get("HPCVIRT_TOKEN_FILE"), null);
        String metrics = firstSet(env.get("HPCVIRT_METRICS"), null);
        String adminGroup = firstSet(env.get("HPCVIRT_ADMIN_GROUP"), DEFAULT_ADMIN_GROUP).trim();
        if (!adminGroup.matches("[A-Za-z_][A-Za-z0-9._-]{0,31}")) {
            problems.add("HPCVIRT_ADMIN_GROUP: '" + adminGroup + "' is not a group name");
        }
        boolean readOthers = false;
        String readText = firstSet(env.get("HPCVIRT_READ_OTHERS"), null);
        if (readText != null) {
            switch (readText.trim().toLowerCase(java.util.Locale.ROOT)) {
                case "yes", "true", "1" -> readOthers = true;
                case "no", "false", "0" -> readOthers = false;
                default -> problems.add("HPCVIRT_READ_OTHERS: '" + readText + "' is not yes or no");
            }
        }
        String tlsText = firstSet(env.get("HPCVIRT_TLS"), null);
        String tokensText = firstSet(env.get("HPCVIRT_TOKENS"), null);
        boolean insecureTcp = false;
        String insecureText = firstSet(env.get("HPCVIRT_INSECURE_TCP"), null);
        if (insecureText != null) {
            switch (insecureText.trim().toLowerCase(java.util.Locale.ROOT)) {
                case "yes", "true", "1" -> insecureTcp = true;
                case "no", "false", "0" -> insecureTcp = false;
                default -> problems.add("HPCVIRT_INSECURE_TCP: '" + insecureText + "' is not yes or no");
            }
        }
        java.time.Duration nodeWatch = DEFAULT_NODE_WATCH;
        String watchText = firstSet(env.get("HPCVIRT_NODE_WATCH"), null);
        if (watchText != null) {
            if (watchText.trim().equalsIgnoreCase("off")) {
                nodeWatch = null;
            } else {
                try {
                    nodeWatch = Durations.parse(watchText, "HPCVIRT_NODE_WATCH");
                    if (nodeWatch.compareTo(java.time.Duration.ofSeconds(1)) < 0 || nodeWatch.compareTo(java.time.Duration.ofMinutes(10)) > 0) {
                        problems.add("HPCVIRT_NODE_WATCH: '" + watchText + "' is outside 1s to 10m (or 'off')");
                    }
                } catch (HpcvirtException e) {
                    problems.add(e.getMessage().replace("(use e.g.", "(or 'off'; use e.g."));
                }
            }
        }
        if (!problems.isEmpty()) {
            throw HpcvirtException.invalid(String.join("; ", problems));
        }
        return new NodeConfig(home, store, qemu, node, peers, layers, listen == null ? null : listen.trim(),
                tokenText == null ? null : Path.of(tokenText), metrics == null ? null : metrics.trim(), env.get("HPCVIRT_DEBUG") != null,
                firstSet(env.get("HPCVIRT_HOME"), null) != null, adminGroup, readOthers,
                tlsText == null ? null : Path.of(tlsText.trim()), tokensText == null ? null : Path.of(tokensText.trim()), insecureTcp, nodeWatch);
    }

    private static Path home(Map<String, String> env, Properties props) {
        String h = firstSet(env.get("HPCVIRT_HOME"), props.getProperty("hpcvirt.home"));
        if (h != null) {
            return Path.of(h).toAbsolutePath();
        }
        String xdg = env.get("XDG_DATA_HOME");
        if (xdg != null && !xdg.isBlank()) {
            return Path.of(xdg, "hpcvirt").toAbsolutePath();
        }
        return Path.of(props.getProperty("user.home", "/root"), ".local", "share", "hpcvirt");
    }

    private static String firstSet(String a, String b) {
        return a != null && !a.isBlank() ? a : b != null && !b.isBlank() ? b : null;
    }

    /** The home: {@code HPCVIRT_HOME} if set, else system property {@code hpcvirt.home} if set, else {@link #home}. */
    public Path homeNow() {
        String prop = System.getProperty("hpcvirt.home");
        return !homeFixed && prop != null && !prop.isBlank() ? Path.of(prop).toAbsolutePath() : home;
    }

    /** The checkpoint store of a node whose home is {@code nodeHome}: property {@code hpcvirt.store}, else {@link #store}, else {@code nodeHome/checkpoints}. */
    public Path checkpointStore(Path nodeHome) {
        String prop = System.getProperty("hpcvirt.store");
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop).toAbsolutePath().normalize();
        }
        return store != null ? store : nodeHome.resolve("checkpoints");
    }
}
