package org.hpcvirt.it;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.hpcvirt.daemon.DaemonClient;
import org.hpcvirt.guest.ImageBuilder;
import org.hpcvirt.vm.NodeLayout;
import org.hpcvirt.vm.VmStatus;

/**
 * One node for integration tests: a private short {@code HPCVIRT_HOME} under /tmp, the shared test
 * image, and a real daemon process. {@link #close()} kills every process that mentions the home in
 * its command line (the daemon and every QEMU it started) and deletes the home, even when the test
 * failed — use it with try-with-resources or in {@code @AfterAll}/{@code @AfterEach}.
 */
public final class TestNode implements AutoCloseable {
    /** The image every IT boots; built once per machine into target/it-images (skipped when up to date). */
    public static final String IMAGE = "default";
    private static Path sharedImages;

    private final NodeLayout layout;
    private DaemonClient client;
    private long daemonPid;
    private Map<String, String> daemonEnv = Map.of();
    private List<String> daemonArgs = List.of();

    private TestNode(NodeLayout layout) {
        this.layout = layout;
    }

    /** Builds (or finds up to date) the test image and returns its images directory. */
    public static synchronized Path sharedImages() {
        if (sharedImages == null) {
            Path dir = Path.of(System.getProperty("hpcvirt.repo", ".")).resolve("target/it-images").toAbsolutePath();
            new ImageBuilder(dir).build(IMAGE, false, new PrintStream(OutputStream.nullOutputStream()));
            sharedImages = dir;
        }
        return sharedImages;
    }

    /** A node with a running daemon. */
    public static TestNode start() {
        TestNode n = create();
        n.startDaemon();
        return n;
    }

    /** A node without a daemon (for tests that drive services in-process). */
    public static TestNode create() {
        return new TestNode(NodeLayout.temporary("hv", sharedImages()));
    }

    public NodeLayout layout() {
        return layout;
    }

    public DaemonClient client() {
        return client;
    }

    public long daemonPid() {
        return daemonPid;
    }

    /** Environment for this node's daemons (also when restarted). */
    public TestNode withDaemonEnv(Map<String, String> env) {
        daemonEnv = Map.copyOf(env);
        return this;
    }

    /**
     * Options of {@code hpcvirt daemon start} for this node's daemons (also when restarted), e.g.
     * {@code --metrics 127.0.0.1:PORT}: with any, {@link #startDaemon()} runs that command as a user
     * would (a separate CLI process, which spawns the daemon) instead of spawning the daemon itself.
     */
    public TestNode withDaemonArgs(String... args) {
        daemonArgs = List.of(args);
        return this;
    }

    /** Starts a daemon process for this home and connects a client. */
    public void startDaemon() {
        daemonPid = daemonArgs.isEmpty() ? DaemonClient.spawnDaemon(layout, daemonEnv) : startThroughCli();
        if (client != null) {
            client.close();
        }
        client = new DaemonClient(layout.daemonSocket());
    }

    /** {@code hpcvirt daemon start ARGS} in a CLI process with this node's home; the daemon's pid. */
    private long startThroughCli() {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), "org.hpcvirt.cli.Main", "daemon", "start"));
        cmd.addAll(daemonArgs);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("HPCVIRT_HOME", layout.home().toString());
        pb.environment().putAll(daemonEnv);
        try {
            Process p = pb.start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IllegalStateException("hpcvirt daemon start " + String.join(" ", daemonArgs) + " failed: " + out);
            }
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("hpcvirtd started \\(pid (\\d+)\\)").matcher(out);
            if (!m.find()) {
                throw new IllegalStateException("hpcvirt daemon start said no pid: " + out);
            }
            return Long.parseLong(m.group(1));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** SIGKILLs the daemon (QEMU processes must survive) and waits until it is gone. */
    public void killDaemon() {
        ProcessHandle.of(daemonPid).ifPresent(ProcessHandle::destroyForcibly);
        await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(daemonPid).map(p -> !p.isAlive()).orElse(true));
    }

    /** Defines a VM named {@code name} from {@code examples/compute-small.yaml} with the given overrides. */
    public VmStatus define(String name, String yamlExtra) {
        String yaml = "name: " + name + "\nbackend: qemu\ncpus: 1\nmemory: 128M\nimage: " + IMAGE + "\n"
                + "heartbeat:\n  interval: 200ms\n  timeout: 2s\n" + yamlExtra;
        return client.define(yaml, name + ".yaml");
    }

    /** Reads a file that a process wrote, for diagnostics in assertion messages. */
    public String console(String vm) {
        try {
            Path p = layout.runDir(vm).resolve("console.log");
            return Files.exists(p) ? Files.readString(p, StandardCharsets.ISO_8859_1) : "(no console)";
        } catch (IOException e) {
            return "(unreadable console)";
        }
    }

    /** Pids of live processes whose command line mentions this node's home. */
    public List<Long> processesOfThisNode() {
        String marker = layout.home().toString();
        List<Long> out = new ArrayList<>();
        ProcessHandle.allProcesses().forEach(ph -> {
            try {
                byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(ph.pid()), "cmdline"));
                String cmd = new String(raw, StandardCharsets.UTF_8).replace('\0', ' ');
                if (cmd.contains(marker) && ph.pid() != ProcessHandle.current().pid()) {
                    out.add(ph.pid());
                }
            } catch (IOException e) {
                // process went away
            }
        });
        // the daemon is told its home through the environment, not its command line
        if (daemonPid > 0 && !out.contains(daemonPid) && ProcessHandle.of(daemonPid).map(ProcessHandle::isAlive).orElse(false)) {
            out.add(daemonPid);
        }
        return out;
    }

    /**
     * Containers (backend {@code container}) whose bundle is under this node's home: their processes
     * do not name the home, so {@link #processesOfThisNode()} misses them; crun deletes them with
     * their cgroups. Nothing to do where crun is not installed.
     */
    private void deleteContainersOfThisNode() {
        try {
            Process list = new ProcessBuilder("crun", "list").redirectErrorStream(true).start();
            String out = new String(list.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            list.waitFor();
            for (String line : out.lines().skip(1).toList()) {
                String[] f = line.trim().split("\\s+");
                if (f.length >= 4 && f[3].startsWith(layout.home().toString())) {
                    new ProcessBuilder("crun", "delete", "--force", f[0]).redirectErrorStream(true)
                            .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
                }
            }
        } catch (IOException e) {
            // no crun here: no containers either
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        if (client != null) {
            client.close();
        }
        for (long pid : processesOfThisNode()) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
        deleteContainersOfThisNode();
        await().atMost(Duration.ofSeconds(20)).until(() -> processesOfThisNode().isEmpty());
        org.hpcvirt.api.DirectoryTree.delete(layout.home());
    }
}
