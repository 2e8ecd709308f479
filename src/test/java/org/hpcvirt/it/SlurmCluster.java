package org.hpcvirt.it;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.hpcvirt.daemon.DaemonClient;

/**
 * A real Slurm 22.05 cluster for integration tests, made by {@code scripts/slurm-cluster.sh up N --dir DIR}
 * in a fresh directory under /tmp: a controller in network namespace {@code P-ctl}, compute nodes
 * {@code hvs-n1..N} in namespaces {@code P-n1..N} (10.200.60.I), P being {@code $HVS_NETNS} or {@code hvs}, each with its own slurmd and hpcvirt daemon (home {@link #home(int)}),
 * the daemons sharing one image store and one checkpoint store, and the node Prolog/Epilog recording
 * their environment under {@code DIR/record}. Slurm commands run in the controller's namespace
 * ({@link #slurm}). {@link #close()} runs the script's {@code down} and then checks that nothing of the
 * cluster is left (no process in its namespaces or naming its directory, no {@code P-*} namespace);
 * a shutdown hook runs it too if the JVM ends first. One cluster per namespace prefix: a second test run
 * on the same machine sets another {@code HVS_NETNS}. Not thread-safe; the creator closes it.
 */
public final class SlurmCluster implements AutoCloseable {
    private static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(150);
    /** Prefix of the cluster's network namespace names (the script's {@code HVS_NETNS}). */
    private static final String PREFIX = System.getenv().getOrDefault("HVS_NETNS", "hvs");

    private final int count;
    private final Path dir;
    private final Thread hook;
    private final List<DaemonClient> clients = new ArrayList<>();
    private final Set<String> namespaceIds = new java.util.HashSet<>();
    private boolean closed;

    private SlurmCluster(int count, Path dir) {
        this.count = count;
        this.dir = dir;
        this.hook = new Thread(this::down, "slurm-cluster-down");
    }

    /**
     * Builds and starts a cluster of {@code count} compute nodes; returns once {@code sinfo} shows them
     * idle and every daemon answers.
     *
     * @throws IllegalStateException if the script fails (its output in the message); nothing is left then
     */
    public static SlurmCluster up(int count) {
        Path images = TestNode.sharedImages();
        Path dir;
        try {
            dir = Files.createTempDirectory(Path.of("/tmp"), "hvs");
            // the script makes the directory itself and refuses one it did not make
            Files.delete(dir);
        } catch (IOException e) {
            throw new IllegalStateException("cannot create a directory for the Slurm cluster", e);
        }
        SlurmCluster c = new SlurmCluster(count, dir);
        Runtime.getRuntime().addShutdownHook(c.hook);
        try {
            c.script(Map.of("HVS_IMAGES", images.toString()), "up", Integer.toString(count), "--dir", dir.toString());
            for (int i = 1; i <= c.count; i++) {
                c.clients.add(new DaemonClient(c.home(i).resolve("hpcvirtd.sock")));
            }
            c.namespaceIds.addAll(currentNamespaceIds());
        } catch (RuntimeException e) {
            IllegalStateException failure = new IllegalStateException(e.getMessage() + c.logTails(), e);
            try {
                c.close();
            } catch (RuntimeException teardown) {
                // e.g. another cluster is up: the script refuses to touch it, and says so here
                failure.addSuppressed(teardown);
            }
            throw failure;
        }
        return c;
    }

    /** The cluster's directory (configuration under {@code etc}, logs under {@code log}). */
    public Path dir() {
        return dir;
    }

    /** The name of compute node {@code i} (1-based): {@code hvs-nI}, also its host name. */
    public static String node(int i) {
        return "hvs-n" + i;
    }

    /** The network namespace of compute node {@code i}: {@code P-nI}. */
    public static String namespace(int i) {
        return PREFIX + "-n" + i;
    }

    /** Node {@code i}'s address inside the cluster's network. */
    public static String address(int i) {
        return "10.200.60." + i;
    }

    /** The {@code HPCVIRT_HOME} of node {@code i}'s daemon. */
    public Path home(int i) {
        return dir.resolve(node(i));
    }

    /** The client of node {@code i}'s daemon over its Unix socket. */
    public DaemonClient client(int i) {
        return clients.get(i - 1);
    }

    /** The image store every node shares. */
    public Path images() {
        return dir.resolve("images");
    }

    /** The checkpoint store every node shares. */
    public Path store() {
        return dir.resolve("store");
    }

    /** A Slurm command (sbatch, sinfo, squeue, scontrol…) in the controller's namespace; exit code and output. */
    public NetnsNodes.Result slurm(String... command) {
        List<String> args = new ArrayList<>(List.of("run", "--dir", dir.toString(), "--"));
        args.addAll(List.of(command));
        return run(args, Map.of());
    }

    /** A command in compute node {@code i}'s network namespace (where its slurmd, Prolog and daemon run); exit code and output. */
    public NetnsNodes.Result onNode(int i, String... command) {
        List<String> args = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + namespace(i)));
        args.addAll(List.of(command));
        try {
            Process p = new ProcessBuilder(args).redirectErrorStream(true).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(SCRIPT_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(args + " did not finish in " + SCRIPT_TIMEOUT);
            }
            return new NetnsNodes.Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + args, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /**
     * Submits a batch job ({@code sbatch --parsable OPTIONS… SCRIPT}) and returns its id.
     *
     * @throws IllegalStateException if sbatch refuses it (its output in the message)
     */
    public String sbatch(String... optionsAndScript) {
        List<String> cmd = new ArrayList<>(List.of("sbatch", "--parsable"));
        cmd.addAll(List.of(optionsAndScript));
        NetnsNodes.Result r = slurm(cmd.toArray(String[]::new));
        if (r.exitCode() != 0) {
            throw new IllegalStateException("sbatch " + String.join(" ", optionsAndScript) + " failed: " + r.output());
        }
        return r.output().trim().split(";")[0];
    }

    private static final java.util.regex.Pattern SUBMITTED = java.util.regex.Pattern.compile("Submitted batch job ([0-9]+)");

    /**
     * Submits a job with a VSE through {@code hpcvirt submit VSE SBATCH-OPTIONS… -- SCRIPT} and
     * returns its id.
     *
     * @throws IllegalStateException if the command fails or names no job (its output in the message)
     */
    public String submit(Path vse, String... sbatchAndScript) {
        List<String> cmd = new ArrayList<>(List.of("hpcvirt", "submit", vse.toString()));
        cmd.addAll(List.of(sbatchAndScript));
        NetnsNodes.Result r = slurm(cmd.toArray(String[]::new));
        java.util.regex.Matcher m = SUBMITTED.matcher(r.output());
        if (r.exitCode() != 0 || !m.find()) {
            throw new IllegalStateException("hpcvirt submit " + vse + " " + String.join(" ", sbatchAndScript) + " failed (exit "
                    + r.exitCode() + "): " + r.output());
        }
        return m.group(1);
    }

    /** The VMs on node {@code i} of job {@code id} (named {@code j<ID>-…}), or of any job when {@code id} is null. */
    public List<org.hpcvirt.vm.VmStatus> jobVms(int i, String id) {
        return client(i).list().stream()
                .filter(v -> id == null ? v.name().matches("j[0-9]+-.*") : v.name().startsWith("j" + id + "-")).toList();
    }

    /** The Prolog and Epilog logs of the first {@code nodes} nodes, for a failed assertion's message. */
    public String hookLogs(int nodes) {
        StringBuilder b = new StringBuilder();
        for (String hook : new String[] {"prolog", "epilog"}) {
            for (int i = 1; i <= nodes; i++) {
                String f = hook + "-" + node(i) + ".log";
                Path p = dir.resolve("log").resolve(f);
                try {
                    b.append("\n").append(f).append(":\n").append(Files.exists(p) ? Files.readString(p) : "(none)");
                } catch (IOException e) {
                    b.append("\n").append(f).append(": ").append(e.getMessage());
                }
            }
        }
        return b.toString();
    }

    /** Waits until job {@code id} has ended (its Epilog done on every node) and returns its final state, e.g. {@code COMPLETED}. */
    public String awaitEnd(String id, Duration deadline) {
        Set<String> active = Set.of("PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED", "REQUEUED", "RESIZING",
                "SIGNALING", "STAGE_OUT");
        String[] state = {""};
        await().atMost(deadline).pollInterval(Duration.ofMillis(200)).until(() -> {
            NetnsNodes.Result r = slurm("squeue", "-h", "--jobs=" + id, "--states=all", "-o", "%T");
            state[0] = r.output().trim();
            return r.exitCode() == 0 && !state[0].isEmpty() && !active.contains(state[0]);
        });
        return state[0];
    }

    /** The environment the Prolog ({@code hook = "prolog"}) or Epilog ({@code "epilog"}) of job {@code id} had on {@code node}; empty if it did not run. */
    public Map<String, String> hookEnvironment(String hook, String id, String node) {
        Path f = dir.resolve("record").resolve(hook + "." + id + "." + node + ".env");
        Map<String, String> env = new LinkedHashMap<>();
        if (!Files.exists(f)) {
            return env;
        }
        try {
            for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    env.put(line.substring(0, eq), line.substring(eq + 1));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + f, e);
        }
        return env;
    }

    /**
     * Live processes of this cluster: in one of its network namespaces (slurmctld, slurmd, slurmstepd,
     * job steps, daemons) or naming its directory in their command line (munged, daemons). Zombies
     * count as gone.
     */
    public List<String> processes() {
        List<String> out = new ArrayList<>();
        String marker = dir + "/";
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            procs.filter(p -> p.getFileName().toString().matches("\\d+")).forEach(p -> {
                try {
                    String stat = Files.readString(p.resolve("stat"));
                    if (stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z")) {
                        return;
                    }
                    String cmd = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8).replace('\0', ' ').trim();
                    String net = Files.readSymbolicLink(p.resolve("ns/net")).toString();
                    if (namespaceIds.contains(net) || cmd.contains(marker) && !cmd.contains("slurm-cluster.sh")) {
                        out.add(p.getFileName() + " " + cmd);
                    }
                } catch (IOException | RuntimeException e) {
                    // gone, or not ours to read
                }
            });
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc", e);
        }
        return out;
    }

    /** The {@code P-*} network namespaces that exist. */
    public static List<String> namespaces() {
        try (Stream<Path> ns = Files.list(Path.of("/run/netns"))) {
            return ns.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(PREFIX + "-")).sorted().toList();
        } catch (java.nio.file.NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /run/netns", e);
        }
    }

    /** The namespace ids ({@code net:[INODE]}) of the {@code P-*} namespaces. */
    private static Set<String> currentNamespaceIds() {
        Set<String> ids = new java.util.HashSet<>();
        for (String n : namespaces()) {
            try {
                Object ino = Files.getAttribute(Path.of("/run/netns", n), "unix:ino");
                ids.add("net:[" + ino + "]");
            } catch (IOException | UnsupportedOperationException e) {
                throw new IllegalStateException("cannot read namespace " + n, e);
            }
        }
        return ids;
    }

    /** The last lines of every log of the cluster, for a failure's message (down deletes them). */
    private String logTails() {
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> logs = Files.list(dir.resolve("log"))) {
            for (Path log : logs.sorted().toList()) {
                List<String> lines = Files.readAllLines(log, StandardCharsets.ISO_8859_1);
                sb.append("\n--- ").append(log.getFileName()).append('\n');
                lines.subList(Math.max(0, lines.size() - 8), lines.size()).forEach(l -> sb.append(l).append('\n'));
            }
        } catch (IOException e) {
            sb.append("\n(no logs: ").append(e.getMessage()).append(')');
        }
        return sb.toString();
    }

    private NetnsNodes.Result script(Map<String, String> env, String... args) {
        NetnsNodes.Result r = run(List.of(args), env);
        if (r.exitCode() != 0) {
            throw new IllegalStateException("slurm-cluster.sh " + String.join(" ", args) + " failed (" + r.exitCode() + "): " + r.output());
        }
        return r;
    }

    private static NetnsNodes.Result run(List<String> args, Map<String, String> env) {
        Path repo = Path.of(System.getProperty("hpcvirt.repo", ".")).toAbsolutePath();
        List<String> cmd = new ArrayList<>(List.of(repo.resolve("scripts/slurm-cluster.sh").toString()));
        cmd.addAll(args);
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            Map<String, String> all = new HashMap<>(env);
            all.put("HVS_JAVA", ProcessHandle.current().info().command().orElse("java"));
            all.put("HVS_CP", System.getProperty("java.class.path"));
            pb.environment().putAll(all);
            Process p = pb.start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(SCRIPT_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(cmd + " did not finish in " + SCRIPT_TIMEOUT);
            }
            return new NetnsNodes.Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + cmd, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private synchronized void down() {
        if (closed) {
            return;
        }
        closed = true;
        clients.forEach(DaemonClient::close);
        script(Map.of(), "down", "--dir", dir.toString());
    }

    /**
     * Runs the script's {@code down} (once) and checks that nothing is left.
     *
     * @throws IllegalStateException if a process, a namespace or the directory survived
     */
    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook runs down itself
        }
        down();
        await().atMost(Duration.ofSeconds(20)).until(() -> processes().isEmpty());
        if (!namespaces().isEmpty()) {
            throw new IllegalStateException("namespaces " + namespaces() + " survived the cluster's teardown");
        }
        if (Files.exists(dir)) {
            throw new IllegalStateException(dir + " survived the cluster's teardown");
        }
    }
}
