package org.hpcvirt.it;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.hpcvirt.daemon.DaemonClient;
import org.hpcvirt.daemon.TcpListener;
import org.hpcvirt.vm.NodeLayout;

/**
 * Several nodes on one machine for integration tests, made by {@code scripts/netns-nodes.sh}: one
 * network namespace per node with address 10.200.0.I/24 (inside the namespace only), joined by a
 * bridge in a hub namespace; a cluster CA with a certificate per node ({@link #cluster()}); one real
 * daemon per namespace with its own home, a shared checkpoint store and a mutual-TLS listener on
 * https://10.200.0.I:PORT with its node's certificate (and the scoped tokens of
 * {@code cluster()/tokens}, empty at first). The test JVM talks to each daemon
 * over its Unix socket (files are shared across network namespaces). {@link #close()} runs the
 * script's {@code down}: kills every daemon and QEMU whose command line names a node's home,
 * deletes the namespaces (and with them the veths and the bridge) and the homes — also when the
 * test failed. Not thread-safe; the creator closes it.
 */
public final class NetnsNodes implements AutoCloseable {
    /** Port of every daemon's TCP listener (each on its own namespace address). */
    public static final int PORT = 7700;

    private final int count;
    private final Path root;
    private final String prefix;
    private final List<DaemonClient> clients = new ArrayList<>();
    private boolean closed;

    private NetnsNodes(int count, Path root, String prefix) {
        this.count = count;
        this.root = root;
        this.prefix = prefix;
    }

    /** Creates {@code count} namespaced nodes with running daemons. */
    public static NetnsNodes up(int count) {
        Path images = TestNode.sharedImages();
        Path root;
        try {
            root = Files.createTempDirectory(Path.of("/tmp"), "hvm");
        } catch (IOException e) {
            throw new IllegalStateException("cannot create a root for the nodes", e);
        }
        // a prefix of its own so that a leftover of another run cannot collide
        String prefix = "hv" + Long.toString(ProcessHandle.current().pid() % 46656, 36) + "n";
        NetnsNodes nodes = new NetnsNodes(count, root, prefix);
        try {
            nodes.script("up", Map.of("HVN_IMAGES", images.toString()));
            for (int i = 1; i <= count; i++) {
                nodes.clients.add(new DaemonClient(nodes.layout(i).daemonSocket()));
            }
        } catch (RuntimeException e) {
            nodes.close();
            throw e;
        }
        return nodes;
    }

    /** The home of node {@code i} (1-based). */
    public NodeLayout layout(int i) {
        return new NodeLayout(root.resolve("n" + i));
    }

    /** The client of node {@code i}'s daemon over its Unix socket. */
    public DaemonClient client(int i) {
        return clients.get(i - 1);
    }

    /** Node {@code i}'s TCP URL, as other daemons reach it. */
    public String url(int i) {
        return "https://" + address(i) + ":" + PORT;
    }

    /** The cluster directory ({@code hpcvirt cluster init}): {@code ca.pem}, {@code tokens}, {@code nodes/nI/}. */
    public Path cluster() {
        return root.resolve("cluster");
    }

    /** Node {@code i}'s address inside its namespace. */
    public static String address(int i) {
        return "10.200.0." + i;
    }

    /** The lab's shared token (used only by daemons started with the plain-TCP lab switch). */
    public String token() {
        return TcpListener.readToken(root.resolve("token"));
    }

    /** The network namespace of node {@code i}, e.g. for {@code nsenter --net=/run/netns/NAME}. */
    public String namespace(int i) {
        return prefix + i;
    }

    /** The shared checkpoint store. */
    public Path store() {
        return root.resolve("store");
    }

    /** Pid of node {@code i}'s daemon. */
    public long daemonPid(int i) {
        try {
            return Long.parseLong(Files.readString(layout(i).daemonPidFile()).trim());
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    /** Live processes whose command line names node {@code i}'s home (its daemon and QEMUs). */
    public List<Long> processesOf(int i) {
        String marker = layout(i).home() + "/";
        List<Long> out = new ArrayList<>();
        ProcessHandle.allProcesses().forEach(ph -> {
            try {
                String cmd = new String(Files.readAllBytes(Path.of("/proc", Long.toString(ph.pid()), "cmdline")),
                        StandardCharsets.UTF_8).replace('\0', ' ');
                if (cmd.contains(marker) && ph.pid() != ProcessHandle.current().pid() && !cmd.contains("netns-nodes.sh")) {
                    out.add(ph.pid());
                }
            } catch (IOException e) {
                // gone
            }
        });
        return out;
    }

    /** Runs a command in node {@code i}'s namespace and returns its exit code and output. */
    public Result inNamespace(int i, String... command) {
        List<String> cmd = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + namespace(i)));
        cmd.addAll(List.of(command));
        return run(cmd, Map.of());
    }

    /** Exit code and combined output of a command. */
    public record Result(int exitCode, String output) {
    }

    /** Starts node {@code i}'s daemon again after it died or was killed (same home, store, certificate and listener). */
    public void startDaemon(int i) {
        script("start", Map.of(), i);
    }

    private void script(String verb, Map<String, String> env) {
        script(verb, env, count);
    }

    private void script(String verb, Map<String, String> env, int number) {
        Path repo = Path.of(System.getProperty("hpcvirt.repo", ".")).toAbsolutePath();
        Map<String, String> all = new java.util.HashMap<>(env);
        all.put("HVN_ROOT", root.toString());
        all.put("HVN_PREFIX", prefix);
        all.put("HVN_PORT", Integer.toString(PORT));
        all.put("HVN_JAVA", ProcessHandle.current().info().command().orElse("java"));
        all.put("HVN_CP", System.getProperty("java.class.path"));
        Result r = run(List.of(repo.resolve("scripts/netns-nodes.sh").toString(), verb, Integer.toString(number)), all);
        if (r.exitCode() != 0) {
            throw new IllegalStateException("netns-nodes.sh " + verb + " " + number + " failed (" + r.exitCode() + "): " + r.output());
        }
    }

    private static Result run(List<String> cmd, Map<String, String> env) {
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().putAll(env);
            Process p = pb.start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(cmd + " did not finish");
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + cmd, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        clients.forEach(DaemonClient::close);
        script("down", Map.of());
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            for (int i = 1; i <= count; i++) {
                if (!processesOf(i).isEmpty()) {
                    return false;
                }
            }
            return true;
        });
        for (int i = 0; i <= count; i++) {
            if (Files.exists(Path.of("/run/netns", prefix + i))) {
                throw new IllegalStateException("namespace " + prefix + i + " survived teardown");
            }
        }
    }
}
