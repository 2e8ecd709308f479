package org.hpcvirt.it;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.hpcvirt.cluster.ClusterAuthority;
import org.hpcvirt.cluster.NodeSpec;
import org.hpcvirt.daemon.DaemonClient;
import org.hpcvirt.vm.NodeLayout;

/**
 * Test fixture: two nodes a and b with a libvirtd each ({@code bench/libvirt-pair.sh}: network
 * namespaces hvlm-a/hvlm-b at 10.200.70.1/.2, each with its own mount namespace, so that
 * {@code qemu:///system} inside is that node's libvirtd) and one hpcvirt daemon per node, run inside
 * both namespaces of its node (it must see its libvirtd's /run/libvirt for the domains' pid files),
 * with mutual TLS on {@code https://ADDR:7700} from a cluster CA of its own, the other node as its
 * peer and a checkpoint store shared at the same path. The test JVM talks to each daemon over its
 * Unix socket (files outside the private libvirt directories are shared). {@link #close()} kills the
 * daemons, runs the script's {@code down} (destroys leftover domains, stops both libvirtd and
 * virtlogd, unmounts, deletes the namespaces) and deletes the root — also when the test failed. Not
 * thread-safe; the creator closes it.
 */
final class LibvirtPair implements AutoCloseable {
    static final int PORT = 7700;
    private static final Path SCRIPT = Path.of("bench/libvirt-pair.sh").toAbsolutePath();
    private final Path root;
    private final List<Long> daemons = new ArrayList<>();
    private final List<DaemonClient> clients = new ArrayList<>();
    private String unavailable;
    private boolean closed;

    private LibvirtPair(Path root) {
        this.root = root;
    }

    /** Brings both nodes up; {@link #unavailable()} says why not if the libvirt pair cannot run here (then no daemon runs). */
    static LibvirtPair up() {
        Path images = TestNode.sharedImages();
        Path root;
        try {
            root = Files.createTempDirectory(Path.of("/tmp"), "hvlm");
        } catch (IOException e) {
            throw new IllegalStateException("cannot create a root for the libvirt pair", e);
        }
        LibvirtPair p = new LibvirtPair(root);
        try {
            String out = run(List.of("sh", SCRIPT.toString(), "up", root.resolve("lv").toString()), null);
            String last = out.lines().reduce((a, b) -> b).orElse("").strip();
            if (!last.equals("ok")) {
                p.unavailable = last + " (" + out.strip().replace('\n', ' ') + ")";
                return p;
            }
            ClusterAuthority ca = ClusterAuthority.create(root.resolve("cluster"), Duration.ofDays(1), false);
            Files.writeString(root.resolve("cluster/tokens"), "");
            Files.createDirectories(root.resolve("store"));
            for (String n : List.of("a", "b")) {
                ca.issue(NodeSpec.parse(n + "=" + address(n)), Duration.ofDays(1));
                NodeLayout l = layout(root, n);
                Files.createDirectories(l.home());
                Files.createSymbolicLink(l.home().resolve("images"), images);
            }
            for (String n : List.of("a", "b")) {
                p.startDaemon(n);
            }
            for (String n : List.of("a", "b")) {
                NodeLayout l = layout(root, n);
                await().atMost(Duration.ofSeconds(60)).until(() -> DaemonClient.running(l));
                p.clients.add(new DaemonClient(l.daemonSocket()));
            }
        } catch (RuntimeException | IOException e) {
            p.close();
            throw new IllegalStateException("the libvirt pair did not come up: " + e.getMessage(), e);
        }
        return p;
    }

    /** Null if both nodes run, else why the pair cannot run here (the script's "not available: …" line). */
    String unavailable() {
        return unavailable;
    }

    static String address(String node) {
        return node.equals("a") ? "10.200.70.1" : "10.200.70.2";
    }

    String url(String node) {
        return "https://" + address(node) + ":" + PORT;
    }

    DaemonClient client(String node) {
        return clients.get(node.equals("a") ? 0 : 1);
    }

    NodeLayout layout(String node) {
        return layout(root, node);
    }

    private static NodeLayout layout(Path root, String node) {
        return new NodeLayout(root.resolve(node));
    }

    /** Runs {@code command} inside node {@code node}'s namespaces (e.g. virsh against its libvirtd); its output. */
    String inNode(String node, String... command) {
        List<String> cmd = new ArrayList<>(List.of("sh", SCRIPT.toString(), "run", root.resolve("lv").toString(), node));
        cmd.addAll(List.of(command));
        return run(cmd, null);
    }

    private void startDaemon(String n) throws IOException {
        NodeLayout l = layout(root, n);
        String other = n.equals("a") ? "b" : "a";
        List<String> cmd = new ArrayList<>(List.of("setsid", "nsenter", "--net=/run/netns/hvlm-" + n,
                "--mount=" + root.resolve("lv/ns/" + n), ProcessHandle.current().info().command().orElse("java"),
                "-Dhpcvirt.home=" + l.home() + "/"));
        cmd.addAll(DaemonClient.daemonJvmOptions());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "org.hpcvirt.cli.Main", "daemon", "run",
                "--listen", address(n) + ":" + PORT, "--tls", root.resolve("cluster/nodes/" + n).toString(),
                "--tokens", root.resolve("cluster/tokens").toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(l.daemonLog().toFile()));
        pb.environment().put("HPCVIRT_HOME", l.home().toString());
        pb.environment().put("HPCVIRT_STORE", root.resolve("store").toString());
        pb.environment().put("HPCVIRT_NODE", n);
        pb.environment().put("HPCVIRT_PEERS", other + "=" + url(other));
        daemons.add(pb.start().pid());
    }

    private static String run(List<String> cmd, Path dir) {
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            Process p = pb.start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                return "not available: " + cmd + " did not finish within 5 minutes";
            }
            return new String(out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "not available: cannot run " + cmd + ": " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "not available: interrupted";
        }
    }

    /** Daemon log of node {@code n}, for assertion messages. */
    String log(String n) {
        try {
            return Files.readString(layout(n).daemonLog());
        } catch (IOException e) {
            return "(no log)";
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        clients.forEach(DaemonClient::close);
        // setsid and nsenter exec: the pid started is the daemon's JVM
        for (long pid : daemons) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> daemons.stream().noneMatch(pid -> ProcessHandle.of(pid)
                .map(ProcessHandle::isAlive).orElse(false)));
        run(List.of("sh", SCRIPT.toString(), "down", root.resolve("lv").toString()), null);
        for (String n : List.of("a", "b")) {
            if (Files.exists(Path.of("/run/netns/hvlm-" + n))) {
                throw new IllegalStateException("namespace hvlm-" + n + " survived teardown");
            }
        }
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // leftovers in /tmp are harmless
        }
    }
}
