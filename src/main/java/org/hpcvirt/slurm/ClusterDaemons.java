package org.hpcvirt.slurm;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.hpcvirt.daemon.DaemonClient;
import org.hpcvirt.migration.MigrationReport;
import org.hpcvirt.vm.VmStatus;

/**
 * How a cluster-level command ({@code hpcvirt slurm predict}, {@code hpcvirt slurm check}) reaches the
 * node daemons: the names it knows, each one's URL (where another daemon migrates to) and a client.
 * {@link #of(ClusterNodes, String)} is the real one, over the cluster's mutual TLS; tests use fakes.
 * Implementations are thread-safe; each {@link Node} is used by one thread and closed by its opener;
 * the creator closes the whole (the real one keeps one client per node until then: a TLS client costs
 * far more to build than a request).
 */
public interface ClusterDaemons extends AutoCloseable {
    /** The nodes of the cluster's node configuration. */
    Set<String> nodes();

    /** The daemon URL of {@code node} ({@code https://HOST:PORT}). */
    String url(String node);

    /** A client of {@code node}'s daemon; the caller closes it. Requests throw DAEMON_UNAVAILABLE when it does not answer. */
    Node open(String node);

    /** Closes what the clients of {@link #open} keep open. */
    @Override
    default void close() {
    }

    /** The requests these commands make of one node's daemon. */
    interface Node extends AutoCloseable {
        /** Every VM of the node. */
        List<VmStatus> list();

        /** The node's deployment records ({@code $HPCVIRT_HOME/vse/JOB.json}). */
        List<Map<String, Object>> jobRecords();

        /** Replaces a job's record (null: unchanged) and publishes {@code note} as a node event (null: none). */
        void putJobRecord(String job, Map<String, Object> record, String note);

        /** Live-migrates {@code vm} to the daemon at {@code toUrl} with at most {@code maxDowntimeMs} of final pause. */
        MigrationReport migrate(String vm, String toUrl, long maxDowntimeMs);

        /** Hands a prediction to the node's own fault-tolerance executor. */
        void predict(String node, Duration in, double confidence);

        /**
         * Has this node's daemon take a checkpoint set of every VM of {@code job} on {@code nodes}
         * ({@link org.hpcvirt.api.Operation.CheckpointJob}); this node must be one of them.
         */
        CheckpointSet checkpointJob(String job, List<String> nodes, String reason);

        @Override
        void close();
    }

    /** The real daemons of {@code cluster}, reached with the TLS material of node {@code self}; one client per node, closed by {@link #close}. */
    static ClusterDaemons of(ClusterNodes cluster, String self) {
        Map<String, DaemonClient> clients = new java.util.concurrent.ConcurrentHashMap<>();
        return new ClusterDaemons() {
            @Override
            public void close() {
                clients.values().forEach(DaemonClient::close);
                clients.clear();
            }

            @Override
            public Set<String> nodes() {
                return cluster.nodes().keySet();
            }

            @Override
            public String url(String node) {
                return cluster.nodes().get(node);
            }

            @Override
            public Node open(String node) {
                DaemonClient c = clients.computeIfAbsent(node, n -> cluster.client(n, self));
                return new Node() {
                    @Override
                    public List<VmStatus> list() {
                        return c.list();
                    }

                    @Override
                    public List<Map<String, Object>> jobRecords() {
                        return c.jobRecords();
                    }

                    @Override
                    public void putJobRecord(String job, Map<String, Object> record, String note) {
                        c.putJobRecord(job, record, note);
                    }

                    @Override
                    public MigrationReport migrate(String vm, String toUrl, long maxDowntimeMs) {
                        return c.migrate(vm, toUrl, maxDowntimeMs, null, null, Duration.ofSeconds(600));
                    }

                    @Override
                    public void predict(String n, Duration in, double confidence) {
                        // the caller is the evacuation: the node's daemon only tells its executor
                        c.predict(n, in, confidence, false);
                    }

                    @Override
                    public CheckpointSet checkpointJob(String job, List<String> nodes, String reason) {
                        return c.execute(new org.hpcvirt.api.Operation.CheckpointJob(job, nodes, reason, null), CheckpointSet.class);
                    }

                    @Override
                    public void close() {
                        // kept for the next request to this node; closed with the whole
                    }
                };
            }
        };
    }
}
