package org.hpcvirt.slurm;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.hpcvirt.api.Durations;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Operation;
import org.hpcvirt.daemon.DaemonClient;

/**
 * A node failure noticed by the compute nodes themselves, faster than slurmctld's own ping cycle:
 * each node daemon watches the next {@link #WATCHED} nodes after it in the cluster's node
 * configuration (in name order, round the ring), probing each every {@link #EVERY}. A node whose
 * hpcvirt daemon does not answer (mutual TLS, {@link #PROBE} at most) <em>and</em> whose slurmd does
 * not accept a TCP connection, both for {@code timeout} without a break, is set DOWN in Slurm with a
 * reason naming hpcvirt and the watcher ({@code scontrol update NodeName=X State=DOWN}); Slurm then
 * requeues its batch jobs ({@code JobRequeue=1} or {@code --requeue}) and they come back restored
 * elsewhere ({@link JobRestore}). Two witnesses, so a restarting daemon alone, or a slurmd restart
 * alone, never takes a node down. The node's first watcher reports it after {@code timeout}, the
 * second {@link #BACKUP} later if Slurm does not have it down by then (so one report, and one if the
 * first watcher is gone too). A node Slurm already has down is left alone; while it stays silent,
 * Slurm's state of it is looked at again every {@code timeout} and it is set DOWN again if Slurm
 * returned it to service meanwhile (a late message of the dead node, {@code ReturnToService=2}).
 * When the controller cannot be reached, the report is retried every round.
 *
 * <p>The other side of the same rule is <em>fencing</em>: a node that reaches neither of the two
 * daemons that watch it nor the controller ({@code SlurmctldHost}'s port) for {@link #fenceAfter}
 * (half the timeout) is about to be set DOWN by them, and Slurm will start its jobs elsewhere
 * ({@code cred_expire} after the requeue at the earliest). So it pauses its job VMs first
 * ({@link Fence#fence}); once it reaches the controller again, the VMs of jobs Slurm no longer
 * runs here are destroyed and the others resumed ({@link Fence#unfence}). The fence comes at half
 * the timeout, the job's restored copy elsewhere at the timeout plus {@code cred_expire} at the
 * earliest, so a cut-off node's copy stands still before the other one runs (a node whose daemon
 * is dead cannot fence). Thread-safe: each watched node, and this node's own contact, are probed
 * on scheduler threads of their own; {@link #close} stops them and closes the probe.
 */
public final class NodeWatch implements AutoCloseable {
    /** How often each watched node is probed. */
    public static final Duration EVERY = Duration.ofSeconds(1);
    /** The longest one probe of a daemon or a slurmd may take. */
    public static final Duration PROBE = Duration.ofMillis(900);
    /** How many nodes after this one each daemon watches, so that one node's death is seen by two. */
    public static final int WATCHED = 2;
    private static final Pattern STATE = Pattern.compile("\\bState=(\\S+)");
    /** How much later than the first watcher the second one reports a node. */
    public static final Duration BACKUP = Duration.ofSeconds(2);

    /** Whether a node's two services answer; the real one probes over the network. */
    public interface Probe {
        /** True if {@code node}'s hpcvirt daemon answers. */
        boolean daemonAnswers(String node);

        /** True if {@code node}'s slurmd accepts a TCP connection; false also when this cannot be told. */
        boolean slurmdAnswers(String node);

        /** True if Slurm's controller accepts a TCP connection; false also when this cannot be told. */
        boolean controllerAnswers();

        /**
         * Learns what the probes need of {@code nodes} while the controller can still be asked (the
         * addresses of their slurmd and of the controller); runs once, before the first probe.
         */
        default void prepare(List<String> nodes) {
        }
    }

    /** What a cut-off node does with its job VMs; {@link JobReconcile} is the real one. */
    public interface Fence {
        /** Pauses this node's running job VMs, saying {@code why} in the log; returns those paused. */
        List<String> fence(String why);

        /**
         * Destroys the fenced VMs of jobs Slurm no longer runs here and resumes the others; false (and
         * nothing done) while Slurm cannot be asked.
         */
        boolean unfence();
    }

    private final String self;
    private final List<String> watched;
    private final List<String> watchers;
    private final Fence fence;
    private final Object selfLock = new Object();
    private long isolatedSince = -1;
    private boolean fenced;
    /** Nanos of this node's last look at itself without any contact: others' silence counts only after it. */
    private volatile long lastIsolated = Long.MIN_VALUE;
    private final Duration timeout;
    private final Probe probe;
    private final SlurmCommands slurm;
    private final Consumer<String> log;
    private final LongSupplier clock;
    /** Node → nanos of the first probe of its current silence. */
    private final Map<String, Long> silentSince = new ConcurrentHashMap<>();
    /** Node → the last failure to report it that was logged (the same one is logged once, not every round). */
    private final Map<String, String> failures = new ConcurrentHashMap<>();
    /** Node → nanos it was last reported (or found down) in its current silence. */
    private final Map<String, Long> reported = new ConcurrentHashMap<>();
    private ScheduledExecutorService scheduler;

    /**
     * @param self    this node's Slurm name
     * @param nodes   every compute node's name (the cluster's node configuration)
     * @param timeout how long both services of a node must be silent
     * @param probe   how a node is probed (not closed here unless it is {@link AutoCloseable})
     * @param slurm   runs scontrol
     * @param log     a line per node reported, per failed report and per node answering again
     * @param clock   nanoseconds ({@link System#nanoTime} but in tests)
     * @param fence   what this node does with its job VMs when cut off, or null for nothing
     */
    public NodeWatch(String self, List<String> nodes, Duration timeout, Probe probe, SlurmCommands slurm, Consumer<String> log,
            LongSupplier clock, Fence fence) {
        this.self = self;
        this.watched = watched(self, nodes, WATCHED);
        this.watchers = nodes.stream().distinct().filter(n -> watched(n, nodes, WATCHED).contains(self)).sorted().toList();
        this.fence = fence;
        this.timeout = timeout;
        this.probe = probe;
        this.slurm = slurm;
        this.log = log;
        this.clock = clock;
    }

    /**
     * The nodes {@code self} watches: the {@code count} after it in name order, wrapping round,
     * never itself; none when {@code self} is not among {@code nodes}.
     */
    public static List<String> watched(String self, List<String> nodes, int count) {
        List<String> sorted = nodes.stream().distinct().sorted().toList();
        int at = sorted.indexOf(self);
        List<String> out = new ArrayList<>();
        if (at < 0) {
            return out;
        }
        for (int i = 1; i <= Math.min(count, sorted.size() - 1); i++) {
            out.add(sorted.get((at + i) % sorted.size()));
        }
        return out;
    }

    /** The nodes this daemon watches. */
    public List<String> watched() {
        return watched;
    }

    /** The nodes that watch this one. */
    public List<String> watchers() {
        return watchers;
    }

    /** How long a node reaches neither its watchers nor the controller before it fences its job VMs. */
    public Duration fenceAfter() {
        return timeout.dividedBy(2);
    }

    /**
     * Learns the nodes' addresses ({@link Probe#prepare}), then probes every watched node and this
     * node's own contact every {@link #EVERY}, on threads of its own; returns at once. A no-op when it
     * watches none.
     */
    public synchronized void start() {
        if (scheduler != null || watched.isEmpty()) {
            return;
        }
        ScheduledExecutorService s = Executors.newScheduledThreadPool(watched.size() + 1,
                org.hpcvirt.api.DaemonThreads.named("node-watch"));
        scheduler = s;
        s.execute(() -> {
            try {
                probe.prepare(java.util.stream.Stream.concat(watched.stream(), watchers.stream()).distinct().toList());
            } catch (RuntimeException e) {
                log.accept("hpcvirt: node watch: cannot learn the nodes' addresses yet (asked again when needed): "
                        + HpcvirtException.chain(e));
            }
            if (!watchers.isEmpty()) {
                repeat(s, () -> checkSelf(), self);
            }
            for (String n : watched) {
                repeat(s, () -> check(n), n);
            }
        });
        log.accept("hpcvirt: node watch: " + self + " watches " + String.join(", ", watched) + " (DOWN in Slurm after "
                + Durations.format(timeout) + " with neither its hpcvirt daemon nor its slurmd answering)"
                + (fence != null && !watchers.isEmpty() ? "; it fences its job VMs after " + Durations.format(fenceAfter())
                        + " without " + String.join(", ", watchers) + " or the controller" : ""));
    }

    private void repeat(ScheduledExecutorService s, Runnable task, String what) {
        try {
            s.scheduleWithFixedDelay(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    log.accept("hpcvirt: node watch: " + what + ": " + HpcvirtException.chain(e));
                }
            }, 0, EVERY.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // closed meanwhile
        }
    }

    /**
     * One probe of {@code node}; reports it when its silence has lasted {@code timeout}. Returns true
     * if it set the node DOWN in this call.
     */
    public boolean check(String node) {
        long now = clock.getAsLong();
        if (probe.daemonAnswers(node) || probe.slurmdAnswers(node)) {
            silentSince.remove(node);
            failures.remove(node);
            if (reported.remove(node) != null) {
                log.accept("hpcvirt: node watch: " + node + " answers again");
            }
            return false;
        }
        // while this node itself is or was just cut off, the others' silence says nothing about them
        long since = Math.max(silentSince.computeIfAbsent(node, k -> now), lastIsolated);
        if (lastIsolated != Long.MIN_VALUE && now - lastIsolated < timeout.toNanos()) {
            return false;
        }
        Long last = reported.get(node);
        // the node's first watcher after the timeout, its second one BACKUP later; each again every timeout
        long wait = last != null ? timeout.toNanos() : timeout.toNanos() + watched.indexOf(node) * BACKUP.toNanos();
        if (now - (last != null ? last : since) < wait) {
            return false;
        }
        // scontrol's State= (e.g. DOWN+COMPLETING, MIXED+NOT_RESPONDING): sinfo's %T says "mixed" for a DOWN node still completing a job
        SlurmCommands.Result show = slurm.run(List.of("scontrol", "-o", "show", "node", node));
        Matcher st = STATE.matcher(show.output());
        if (show.exitCode() != 0 || !st.find()) {
            failure(node, "ask:" + show.output().strip(), "hpcvirt: node watch: " + node + " silent for "
                    + Durations.format(Duration.ofNanos(now - since)) + ", but Slurm cannot be asked about it: " + show.output().strip());
            return false;
        }
        String state = st.group(1);
        if (state.startsWith("DOWN")) {
            reported.put(node, now);
            return false;
        }
        if (last != null) {
            log.accept("hpcvirt: node watch: Slurm has " + node + " " + state + " again, but it is still silent");
        }
        String reason = "hpcvirt node watch: hpcvirt daemon and slurmd of " + node + " silent for " + Durations.format(timeout)
                + " (seen from " + self + ")";
        SlurmCommands.Result r = slurm.run(List.of("scontrol", "update", "NodeName=" + node, "State=DOWN", "Reason=" + reason));
        if (r.exitCode() != 0) {
            failure(node, "set:" + r.output().strip(), "hpcvirt: node watch: cannot set " + node + " DOWN in Slurm: " + r.output().strip());
            return false;
        }
        failures.remove(node);
        reported.put(node, now);
        log.accept("hpcvirt: node watch: " + node + " set DOWN in Slurm: " + reason);
        return true;
    }

    /**
     * One look at this node's own contact: fences its job VMs after {@link #fenceAfter} without any
     * watcher or the controller answering, unfences once Slurm can be asked again. While it has no
     * contact, and for {@code timeout} after, it reports no other node: their silence may be its own.
     * Returns whether this node is fenced afterwards.
     */
    public boolean checkSelf() {
        synchronized (selfLock) {
            return lookAtSelf();
        }
    }

    private boolean lookAtSelf() {
        if (watchers.isEmpty()) {
            return false;
        }
        long now = clock.getAsLong();
        boolean contact = probe.controllerAnswers() || watchers.stream().anyMatch(probe::daemonAnswers);
        if (!contact) {
            lastIsolated = clock.getAsLong();
        }
        if (fence == null) {
            return false;
        }
        if (contact) {
            isolatedSince = -1;
            if (fenced && fence.unfence()) {
                fenced = false;
                log.accept("hpcvirt: node watch: " + self + " reaches the controller again: fence lifted");
            }
            return fenced;
        }
        if (isolatedSince < 0) {
            isolatedSince = now;
        }
        if (!fenced && now - isolatedSince >= fenceAfter().toNanos()) {
            String why = self + " reached neither " + String.join(" nor ", watchers) + " nor the controller for "
                    + Durations.format(fenceAfter()) + " (they will set it DOWN and Slurm will run its jobs elsewhere)";
            List<String> paused = fence.fence(why);
            fenced = true;
            log.accept("hpcvirt: node watch: fenced: " + why + "; paused " + (paused.isEmpty() ? "no VM" : String.join(", ", paused)));
        }
        return fenced;
    }

    private void failure(String node, String key, String line) {
        if (!key.equals(failures.put(node, key))) {
            log.accept(line);
        }
    }

    @Override
    public synchronized void close() {
        if (scheduler != null) {
            scheduler.shutdownNow();
            scheduler = null;
        }
        if (probe instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                // closing
            }
        }
    }

    /**
     * The real probe: a node's daemon through {@link ClusterNodes} with this node's certificate,
     * its slurmd by a TCP connection to Slurm's {@code NodeAddr} and {@code SlurmdPort} of the node
     * (asked of scontrol once per node, again while that fails). Thread-safe; closes its
     * daemon clients on {@link #close}.
     */
    public static final class NetworkProbe implements Probe, AutoCloseable {
        private static final Pattern ADDR = Pattern.compile("\\bNodeAddr=(\\S+)");
        private static final Pattern PORT = Pattern.compile("(?m)^SlurmdPort\\s*=\\s*([0-9]+)");
        private static final Pattern CTL = Pattern.compile("(?m)^SlurmctldHost\\[0\\]\\s*=\\s*([^(\\s]+)(?:\\(([^)]+)\\))?");
        private static final Pattern CTL_PORT = Pattern.compile("(?m)^SlurmctldPort\\s*=\\s*([0-9]+)");
        private volatile InetSocketAddress controller;
        private final ClusterNodes cluster;
        private final String self;
        private final SlurmCommands slurm;
        private final Map<String, DaemonClient> clients = new ConcurrentHashMap<>();
        private final Map<String, InetSocketAddress> slurmds = new ConcurrentHashMap<>();

        public NetworkProbe(ClusterNodes cluster, String self, SlurmCommands slurm) {
            this.cluster = cluster;
            this.self = self;
            this.slurm = slurm;
        }

        @Override
        public boolean daemonAnswers(String node) {
            DaemonClient c = clients.computeIfAbsent(node, n -> {
                DaemonClient plain = cluster.client(n, self);
                DaemonClient quick = plain.withRequestTimeout(PROBE);
                plain.close();
                return quick;
            });
            try {
                c.execute(new Operation.NodeInfo(), Map.class);
                return true;
            } catch (HpcvirtException e) {
                return false;
            }
        }

        @Override
        public boolean slurmdAnswers(String node) {
            InetSocketAddress a = slurmds.computeIfAbsent(node, this::slurmdAddress);
            if (a.getPort() == 0) {
                slurmds.remove(node);
                return false;
            }
            return connects(a);
        }

        @Override
        public void prepare(List<String> nodes) {
            controllerAddress();
            for (String n : nodes) {
                slurmds.computeIfAbsent(n, this::slurmdAddress);
            }
        }

        @Override
        public boolean controllerAnswers() {
            InetSocketAddress a = controllerAddress();
            return a != null && connects(a);
        }

        private InetSocketAddress controllerAddress() {
            InetSocketAddress a = controller;
            if (a == null) {
                SlurmCommands.Result c = slurm.run(List.of("scontrol", "show", "config"));
                Matcher host = CTL.matcher(c.output());
                Matcher port = CTL_PORT.matcher(c.output());
                if (c.exitCode() != 0 || !host.find()) {
                    return null; // asked again next time
                }
                a = new InetSocketAddress(host.group(2) != null ? host.group(2) : host.group(1),
                        port.find() ? Integer.parseInt(port.group(1)) : 6817);
                controller = a;
            }
            return a;
        }

        private static boolean connects(InetSocketAddress a) {
            if (a.isUnresolved()) {
                return false;
            }
            try (Socket s = new Socket()) {
                s.connect(a, (int) PROBE.toMillis());
                return true;
            } catch (IOException e) {
                return false;
            }
        }

        private InetSocketAddress slurmdAddress(String node) {
            SlurmCommands.Result n = slurm.run(List.of("scontrol", "-o", "show", "node", node));
            SlurmCommands.Result c = slurm.run(List.of("scontrol", "show", "config"));
            Matcher addr = ADDR.matcher(n.output());
            Matcher port = PORT.matcher(c.output());
            if (n.exitCode() != 0 || c.exitCode() != 0 || !addr.find()) {
                return InetSocketAddress.createUnresolved(node, 0);
            }
            return new InetSocketAddress(addr.group(1), port.find() ? Integer.parseInt(port.group(1)) : 6818);
        }

        @Override
        public void close() {
            clients.values().forEach(DaemonClient::close);
            clients.clear();
        }
    }
}
