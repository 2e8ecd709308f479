package org.hpcvirt.daemon;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.NodeConfig;
import org.hpcvirt.api.Operation;
import org.hpcvirt.api.OperationClient;
import org.hpcvirt.api.RequestContext;
import org.hpcvirt.backend.BackendRegistry;
import org.hpcvirt.checkpoint.CheckpointManifest;
import org.hpcvirt.checkpoint.CheckpointService;
import org.hpcvirt.checkpoint.CheckpointStore;
import org.hpcvirt.checkpoint.RestoreService;
import org.hpcvirt.ft.live.FtService;
import org.hpcvirt.guest.ImageStore;
import org.hpcvirt.inject.InjectionService;
import org.hpcvirt.metrics.NodeMetrics;
import org.hpcvirt.migration.MigrationDestination;
import org.hpcvirt.migration.MigrationPeer;
import org.hpcvirt.migration.MigrationSource;
import org.hpcvirt.migration.OperationPeer;
import org.hpcvirt.profile.HostLimits;
import org.hpcvirt.profile.ProfileLoader;
import org.hpcvirt.vm.Dispatcher;
import org.hpcvirt.vm.EventBus;
import org.hpcvirt.vm.InstanceWatch;
import org.hpcvirt.vm.Lifecycle;
import org.hpcvirt.vm.NodeLayout;
import org.hpcvirt.vm.Reattach;
import org.hpcvirt.vm.VmRegistry;
import org.hpcvirt.access.AuditLog;
import org.hpcvirt.access.Authorizer;
import org.hpcvirt.access.LocalUsers;
import org.hpcvirt.access.Owners;
import org.hpcvirt.api.VmEvent;
import org.hpcvirt.vm.ManagedVm;
import java.util.ArrayList;
import java.util.List;
import org.hpcvirt.vm.store.VmStore;

/**
 * The composition root of a node: builds the control plane's parts (registry, watch, lifecycle,
 * checkpoint, restore, migration, injection, fault tolerance) and registers one handler per
 * operation on the {@link Dispatcher}. The transports ({@link Daemon}'s REST routes, the
 * fault-tolerance executor) only call {@link #dispatcher()}. Created and closed by the daemon;
 * closing stops watching and leaves every VM running.
 */
final class NodeServices implements AutoCloseable {
    /** The daemon's version, as {@code node} and the metrics report it. */
    static final String VERSION = org.hpcvirt.api.Version.current();

    private final NodeLayout layout;
    private final VmStore store;
    private final VmRegistry vms;
    private final InstanceWatch watch;
    private final Lifecycle lifecycle;
    private final CheckpointService checkpoints;
    private final RestoreService restores;
    private final MigrationSource migrationSource;
    private final MigrationDestination migrationDestination;
    private final InjectionService injections;
    private final FtService ft;
    private final Dispatcher dispatcher;
    private final ProfileLoader profiles;
    private final TcpListener tcp;
    private final NodeMetrics metrics;
    private final long startedAt = System.currentTimeMillis();
    private final Authorizer authorizer;
    private final AuditLog audit;
    private final LocalUsers users;
    private final org.hpcvirt.enclave.EnclaveService enclaves;
    private final org.hpcvirt.network.PrivateNetworks networks = org.hpcvirt.network.PrivateNetworks.system();
    private final org.hpcvirt.vse.DeploymentRecords jobRecords;
    private final org.hpcvirt.slurm.JobCheckpoints jobCheckpoints;
    private final org.hpcvirt.slurm.JobTimers jobTimers;
    private final org.hpcvirt.slurm.JobReconcile jobReconcile;
    private final String nodeName;
    private final Map<String, String> peers;
    private final java.time.Duration nodeWatchTimeout;
    private org.hpcvirt.slurm.NodeWatch nodeWatch;
    /** Runs the Slurm evacuations that predictions start, one at a time. */
    private final java.util.concurrent.ExecutorService evacuations =
            java.util.concurrent.Executors.newSingleThreadExecutor(org.hpcvirt.api.DaemonThreads.named("slurm-evacuation"));

    /**
     * @param stopDaemon runs when a {@link Operation.StopDaemon} arrives (on a thread of its own)
     */
    NodeServices(NodeLayout layout, BackendRegistry backends, NodeConfig config, TcpListener tcp, Runnable stopDaemon) {
        this.layout = layout;
        this.tcp = tcp;
        this.jobRecords = new org.hpcvirt.vse.DeploymentRecords(layout.home());
        this.store = new VmStore(layout.database());
        EventBus bus = new EventBus(store);
        ImageStore images = new ImageStore(canonical(layout.images()));
        this.profiles = new ProfileLoader(HostLimits.detect());
        this.vms = new VmRegistry(layout, backends, store, bus);
        this.watch = new InstanceWatch(vms);
        this.lifecycle = new Lifecycle(vms, watch, images);
        this.checkpoints = new CheckpointService(vms, watch, new CheckpointStore(layout.checkpointStore()));
        checkpoints.setMaxDiskLayers(config.maxDiskLayers());
        this.restores = new RestoreService(vms, watch, checkpoints, images, url -> remote(url, "wake VMs on other nodes"));
        this.migrationSource = new MigrationSource(vms, watch, checkpoints, this::migrationPeer);
        this.migrationDestination = new MigrationDestination(vms, watch, images, profiles);
        this.injections = new InjectionService(vms, lifecycle);
        this.dispatcher = new Dispatcher(name -> vms.find(name).map(vm -> vm.state()));
        this.enclaves = new org.hpcvirt.enclave.EnclaveService(vms, lifecycle, profiles, layout.home().resolve("enclave-node.yaml"));
        this.ft = new FtService(vms, dispatcher, checkpoints.store(), layout, config.nodeName(), config.peers(),
                tcp == null ? null : url -> remote(url, "reach other nodes"));
        this.nodeName = config.nodeName();
        this.peers = config.peers();
        this.nodeWatchTimeout = config.nodeWatch();
        this.jobCheckpoints = new org.hpcvirt.slurm.JobCheckpoints(new org.hpcvirt.slurm.CheckpointSets(checkpoints.store()),
                this::nodeClient, line -> System.err.println(line));
        this.jobTimers = new org.hpcvirt.slurm.JobTimers(layout.home().resolve("vse"), config.nodeName(),
                (job, nodes, reason) -> jobCheckpoints.checkpoint(job, nodes, reason, JOB_SETS_KEPT),
                org.hpcvirt.slurm.SlurmCommands.REAL, line -> System.err.println(line));
        this.jobReconcile = new org.hpcvirt.slurm.JobReconcile(layout.home().resolve("vse"), config.nodeName(), nodeClient(config.nodeName()),
                org.hpcvirt.slurm.SlurmCommands.REAL, line -> System.err.println(line));
        register(stopDaemon);
        enclaves.watchFailures(op -> dispatcher.execute(op, RequestContext.INTERNAL), restores::restoreGroup);
        CheckpointStore cs = checkpoints.store();
        this.users = new LocalUsers(config.adminGroup());
        this.authorizer = new Authorizer(name -> vms.find(name).map(ManagedVm::owner), cs::get, cs::list, config.adminGroup(),
                config.readOthers());
        dispatcher.guard(authorizer);
        this.audit = new AuditLog(layout.auditLog());
        dispatcher.addObserver(audit);
        this.metrics = new NodeMetrics(vms, dispatcher, checkpoints.store(), VERSION, startedAt);
    }

    Dispatcher dispatcher() {
        return dispatcher;
    }

    /** The node's Prometheus metrics, which {@code GET /metrics} and the metrics listener serve. */
    NodeMetrics metrics() {
        return metrics;
    }

    /** The node's VMs (tests hold a VM's monitor through it). */
    VmRegistry vms() {
        return vms;
    }

    /** The node's user database, by which local callers are known. */
    LocalUsers users() {
        return users;
    }

    /** Who may do and see what (the event stream asks it). */
    Authorizer authorizer() {
        return authorizer;
    }

    EventBus events() {
        return vms.events();
    }

    /**
     * Re-attaches to the VMs of the previous daemon, then lets the fault-tolerance executor watch the
     * running ones, starts the clocks of the Slurm jobs whose first node this is and removes VMs of
     * jobs Slurm no longer runs here (now and every few seconds: a node that comes back after its
     * job moved runs nothing of it twice).
     */
    void recover() {
        new Reattach(vms, watch).recover();
        ft.watchRunning();
        jobTimers.start();
        jobReconcile.start();
        startNodeWatch();
    }

    /**
     * The cluster's node configuration if it names this node (a Slurm compute node of hpcvirt's),
     * else empty; a malformed one counts as none, said on stderr if {@code say}.
     */
    private java.util.Optional<org.hpcvirt.slurm.ClusterNodes> slurmCluster(boolean say) {
        if (nodeName == null) {
            return java.util.Optional.empty();
        }
        try {
            return org.hpcvirt.slurm.ClusterNodes.ifConfigured().filter(c -> c.nodes().containsKey(nodeName));
        } catch (HpcvirtException e) {
            if (say) {
                System.err.println("hpcvirt: node watch off: " + e.getMessage());
            }
            return java.util.Optional.empty();
        }
    }

    /**
     * On a Slurm compute node (the cluster's node configuration names it), a prediction about a node
     * of that cluster, unless it says {@code slurm: false}: a trusted one starts the evacuation
     * {@code hpcvirt slurm predict} runs (drain, move the job VMs to a spare of their job, or
     * checkpoint and requeue) on a thread of its own, logged here; an untrusted one is only noted.
     * Returns what it does, or null when Slurm is not concerned.
     */
    private String slurmEvacuation(Operation.Predict op) {
        if (Boolean.FALSE.equals(op.slurm())) {
            return null;
        }
        java.util.Optional<org.hpcvirt.slurm.ClusterNodes> cluster = slurmCluster(false);
        if (cluster.isEmpty() || !cluster.get().nodes().containsKey(op.node())) {
            return null;
        }
        if (op.confidence() < org.hpcvirt.slurm.JobEvacuation.TRUST) {
            return String.format(java.util.Locale.ROOT, "not trusted (below %.2f): %s not drained, nothing moved",
                    org.hpcvirt.slurm.JobEvacuation.TRUST, op.node());
        }
        java.time.Duration in = java.time.Duration.ofMillis(Math.round(op.inSeconds() * 1000));
        boolean tellNode = !op.node().equals(nodeName); // this node's executor has it already
        evacuations.execute(() -> {
            try (org.hpcvirt.slurm.ClusterDaemons d = org.hpcvirt.slurm.ClusterDaemons.of(cluster.get(), nodeName)) {
                org.hpcvirt.slurm.JobEvacuation.Outcome o = new org.hpcvirt.slurm.JobEvacuation(org.hpcvirt.slurm.SlurmCommands.REAL,
                        d, 10, tellNode).predicted(op.node(), in, op.confidence());
                o.lines().forEach(l -> System.err.println("hpcvirt: prediction: " + l));
                System.err.println("hpcvirt: prediction: " + op.node() + ": " + o.moves().size() + " VM(s) moved"
                        + (o.allSafe() ? "" : "; job VMs are left on " + op.node()));
            } catch (RuntimeException e) {
                System.err.println("hpcvirt: prediction: evacuation of " + op.node() + " failed: " + HpcvirtException.chain(e));
            }
        });
        return "evacuation of " + op.node() + " started: drained in Slurm, its job VMs moved to spares of their jobs or their jobs"
                + " checkpointed and requeued (this daemon's log and the nodes' events say how)";
    }

    /**
     * On a Slurm compute node (a cluster node configuration names this node), watches the next
     * nodes of the ring and sets a dead one DOWN in Slurm, and fences this node's job VMs when it
     * is cut off ({@link org.hpcvirt.slurm.NodeWatch}); {@code HPCVIRT_NODE_WATCH=off} turns both off.
     */
    private synchronized void startNodeWatch() {
        if (nodeWatchTimeout == null || nodeWatch != null) {
            return;
        }
        java.util.Optional<org.hpcvirt.slurm.ClusterNodes> cluster = slurmCluster(true);
        if (cluster.isEmpty()) {
            return;
        }
        org.hpcvirt.slurm.SlurmCommands slurm = org.hpcvirt.slurm.SlurmCommands.REAL;
        nodeWatch = new org.hpcvirt.slurm.NodeWatch(nodeName, List.copyOf(cluster.get().nodes().keySet()), nodeWatchTimeout,
                new org.hpcvirt.slurm.NodeWatch.NetworkProbe(cluster.get(), nodeName, slurm), slurm,
                line -> System.err.println(line), System::nanoTime, jobReconcile);
        nodeWatch.start();
    }

    /** Checkpoint sets a job keeps (the newest verified one always). */
    static final int JOB_SETS_KEPT = 2;

    /**
     * A client of node {@code node}'s daemon for a job's coordinated checkpoint: this node's own
     * dispatcher (as the daemon itself), or the peer of that name.
     */
    private OperationClient nodeClient(String node) {
        if (java.util.Objects.equals(node, nodeName)) {
            return new OperationClient() {
                @Override
                public <R> R execute(Operation op, Class<R> type) {
                    // the same conversion a remote answer gets, so callers see one shape from every node
                    return org.hpcvirt.api.Json.mapper().convertValue(dispatcher.execute(op, RequestContext.INTERNAL), type);
                }

                @Override
                public String endpoint() {
                    return "this node (" + nodeName + ")";
                }

                @Override
                public void close() {
                }
            };
        }
        String url = peers.get(node);
        if (url == null) {
            throw HpcvirtException.notFound("node " + node + " among this daemon's peers (HPCVIRT_PEERS: "
                    + String.join(", ", peers.keySet()) + ")");
        }
        return remote(url, "checkpoint a job's VMs on other nodes");
    }

    private void register(Runnable stopDaemon) {
        CheckpointStore cs = checkpoints.store();
        dispatcher
                .on(Operation.NodeInfo.class, (op, ctx) -> nodeInfo())
                .on(Operation.ListBackends.class, (op, ctx) -> vms.backends().describe())
                .on(Operation.ListVms.class, (op, ctx) -> vms.list())
                .on(Operation.Events.class, (op, ctx) -> events(op, ctx))
                .on(Operation.StopDaemon.class, (op, ctx) -> {
                    Thread t = new Thread(stopDaemon, "daemon-stop");
                    t.start();
                    return Map.of("stopping", true);
                })
                .on(Operation.Define.class, (op, ctx) -> {
                    org.hpcvirt.profile.VmProfile p = profiles.parse(op.yaml(), op.source());
                    if (p.network() == org.hpcvirt.profile.VmProfile.Network.PRIVATE) {
                        // never an arbitrary host bridge: only a private network of this node that the caller may use
                        networks.requireUsable(p.privateNetwork(), ctx.caller(), p.name());
                    }
                    enclaves.checkPinning(p);
                    return lifecycle.define(p, op.owner() != null ? users.existing(op.owner()) : Owners.defaultFor(ctx.caller()));
                })
                .on(Operation.Status.class, (op, ctx) -> vms.status(op.name()))
                .on(Operation.Profile.class, (op, ctx) -> vms.get(op.name()).profile())
                .on(Operation.Export.class, (op, ctx) -> lifecycle.export(op))
                .on(Operation.Start.class, (op, ctx) -> {
                    // an enclave may have taken the cores since the VM was defined
                    vms.find(op.name()).ifPresent(vm -> enclaves.checkPinning(vm.profile()));
                    return lifecycle.start(op);
                })
                .on(Operation.Pause.class, (op, ctx) -> lifecycle.pause(op))
                .on(Operation.Resume.class, (op, ctx) -> lifecycle.resume(op))
                .on(Operation.Stop.class, (op, ctx) -> lifecycle.stop(op))
                .on(Operation.Destroy.class, (op, ctx) -> {
                    // during a switch-over both nodes have the top layer open: an outgoing VM's may be the
                    // destination's disk already, an arriving VM's is still the source's
                    boolean shared = vms.find(op.name()).map(vm -> vm.state() == org.hpcvirt.api.VmState.MIGRATING).orElse(false)
                            || migrationDestination.arriving(op.name());
                    java.nio.file.Path top = shared ? null : checkpoints.storeTopLayer(op.name());
                    Runnable enclaveCleanup = enclaves.cleanupAfterDestroy(op.name());
                    boolean tapped = vms.find(op.name()).map(vm -> vm.profile().network() == org.hpcvirt.profile.VmProfile.Network.PRIVATE)
                            .orElse(false);
                    lifecycle.destroy(op);
                    checkpoints.deleteFormerTopLayer(op.name(), top);
                    enclaveCleanup.run();
                    if (tapped) {
                        networks.detach(op.name());
                    }
                    return null;
                })
                .on(Operation.Exec.class, (op, ctx) -> lifecycle.exec(op))
                .on(Operation.Counter.class, (op, ctx) -> lifecycle.counter(op))
                .on(Operation.Console.class, (op, ctx) -> lifecycle.console(op))
                .on(Operation.Checkpoint.class, (op, ctx) -> checkpoints.checkpoint(op))
                .on(Operation.Suspend.class, (op, ctx) -> checkpoints.suspend(op))
                .on(Operation.Wake.class, (op, ctx) -> restores.wake(op))
                .on(Operation.SuspendCheckpoint.class, (op, ctx) -> restores.suspendCheckpoint(op.name()))
                .on(Operation.HandOver.class, (op, ctx) -> {
                    restores.handOver(op);
                    return null;
                })
                .on(Operation.Restore.class, (op, ctx) -> {
                    CheckpointManifest m = cs.get(op.id());
                    String target = op.name() == null || op.name().isBlank() ? m.vm() : op.name();
                    if (vms.find(target).isEmpty() && m.profile().network() == org.hpcvirt.profile.VmProfile.Network.PRIVATE) {
                        networks.requireUsable(m.profile().privateNetwork(), ctx.caller(), target);
                    }
                    return restores.restore(op, Owners.defaultFor(ctx.caller()));
                })
                .on(Operation.ListCheckpoints.class, (op, ctx) -> cs.list(op.vm()))
                .on(Operation.GetCheckpoint.class, (op, ctx) -> {
                    CheckpointManifest m = cs.get(op.id());
                    if (op.verify()) {
                        cs.verify(m);
                    }
                    return m;
                })
                .on(Operation.DeleteCheckpoint.class, (op, ctx) -> Map.of("deleted", cs.delete(op.id())))
                .on(Operation.PruneCheckpoints.class, (op, ctx) -> Map.of("deleted", cs.prune(op.vm(), op.keep())))
                .on(Operation.Migrate.class, (op, ctx) -> {
                    enclaves.checkMigratable(op.name());
                    return migrationSource.migrate(op);
                })
                .on(Operation.PrepareIncoming.class, (op, ctx) -> migrationDestination.prepare(op, listenHost(ctx)))
                .on(Operation.ResumeIncoming.class, (op, ctx) -> migrationDestination.resume(op))
                .on(Operation.AwaitIncoming.class, (op, ctx) -> migrationDestination.await(op))
                .on(Operation.AbortIncoming.class, (op, ctx) -> migrationDestination.abort(op))
                .on(Operation.Inject.class, (op, ctx) -> injections.inject(op))
                .on(Operation.Predict.class, (op, ctx) -> {
                    Map<String, Object> out = new LinkedHashMap<>(ft.predict(op));
                    String slurm = slurmEvacuation(op);
                    if (slurm != null) {
                        out.put("slurm", slurm);
                    }
                    return out;
                })
                .on(Operation.FtStatus.class, (op, ctx) -> ft.status())
                .on(Operation.SlurmHook.class, (op, ctx) -> org.hpcvirt.slurm.SlurmHooks.run(op, layout))
                .on(Operation.ListJobRecords.class, (op, ctx) -> jobRecords.list())
                .on(Operation.PutJobRecord.class, (op, ctx) -> putJobRecord(op))
                .on(Operation.CreateEnclave.class, (op, ctx) -> enclaves.create(op,
                        op.owner() != null ? users.existing(op.owner()) : Owners.defaultFor(ctx.caller())))
                .on(Operation.ListEnclaves.class, (op, ctx) -> enclaves.list())
                .on(Operation.ShowEnclave.class, (op, ctx) -> enclaves.show(op.name()))
                .on(Operation.DestroyEnclave.class, (op, ctx) -> {
                    enclaves.destroy(op.name());
                    return null;
                })
                .on(Operation.CreateNetwork.class, (op, ctx) -> networks.create(op.name(), op.vni(), op.local(), op.peers(),
                        op.owner() != null ? users.existing(op.owner()) : Owners.defaultFor(ctx.caller())))
                .on(Operation.ListNetworks.class, (op, ctx) -> networks.list())
                .on(Operation.DeleteNetwork.class, (op, ctx) -> Map.of("deleted", networks.delete(op.name())))
                .on(Operation.CheckpointJob.class, (op, ctx) -> jobCheckpoints.checkpoint(op.job(), op.nodes(), op.reason(), op.keep()))
                .on(Operation.ListCheckpointSets.class, (op, ctx) -> jobCheckpoints.sets().list(op.job()))
                .on(Operation.RestorableCheckpointSet.class, (op, ctx) -> jobCheckpoints.sets().restorable(op.job()))
                .on(Operation.CheckpointEnclave.class, (op, ctx) -> enclaves.checkpoint(op.name(),
                        o -> dispatcher.execute(o, RequestContext.INTERNAL)));
    }

    /** See {@link Operation.PutJobRecord}: the record first, then the note, so the event never tells of a change not made. */
    private Map<String, Object> putJobRecord(Operation.PutJobRecord op) {
        if (op.record() != null) {
            jobRecords.put(op.job(), op.record());
        } else {
            jobRecords.file(op.job()); // checks the id
        }
        if (op.note() != null && !op.note().isBlank()) {
            vms.events().publish(VmEvent.of(null, VmEvent.Type.FT_DECISION, null, op.note(), Map.of("job", op.job())));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("job", op.job());
        out.put("written", op.record() != null);
        return out;
    }

    /** Up to {@code limit} events after {@code after} that the caller may see (pages on past the ones it may not). */
    private List<VmEvent> events(Operation.Events op, RequestContext ctx) {
        List<VmEvent> out = new ArrayList<>();
        long after = op.after();
        while (out.size() < op.limit()) {
            List<VmEvent> page = vms.events().history(op.vm(), after, op.limit());
            for (VmEvent ev : page) {
                if (out.size() < op.limit() && authorizer.maySee(ctx.caller(), ev.vm())) {
                    out.add(ev);
                }
            }
            if (page.size() < op.limit()) {
                break;
            }
            after = page.get(page.size() - 1).seq();
        }
        return out;
    }

    private Map<String, Object> nodeInfo() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("home", layout.home().toString());
        m.put("pid", ProcessHandle.current().pid());
        m.put("uptimeMs", System.currentTimeMillis() - startedAt);
        m.put("version", VERSION);
        if (tcp != null) {
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("url", tcp.url());
            t.put("tls", tcp.secure());
            if (tcp.secure()) {
                t.put("node", tcp.tls().nodeName());
                t.put("certificateNotAfter", tcp.tls().notAfter().toString());
            } else {
                t.put("insecurePlainTcp", true);
            }
            t.put("scopedTokens", tcp.tokens() != null && tcp.tokens().file() != null);
            m.put("tcp", t);
        }
        return m;
    }

    /** A client of another node's daemon, authenticated with this node's certificate (or, in a plain-TCP lab, the shared token). */
    private OperationClient remote(String url, String what) {
        if (tcp == null) {
            throw HpcvirtException.invalid("this daemon has no TCP listener and no node certificate: start it with --listen ADDR:PORT --tls DIR to " + what);
        }
        return DaemonClient.remote(url, tcp.outgoing());
    }

    private MigrationPeer migrationPeer(Operation.Migrate op) {
        return new OperationPeer(remote(op.to(), "migrate to other nodes"), tcp.url());
    }

    /**
     * The address an incoming migration listens on: where the request arrived (the source reached
     * this node there); over the Unix socket, the listener's address, else loopback.
     */
    private String listenHost(RequestContext ctx) {
        if (ctx.localAddress() != null) {
            return ctx.localAddress();
        }
        return tcp != null && !tcp.host().isBlank() && !"0.0.0.0".equals(tcp.host()) ? tcp.host() : "127.0.0.1";
    }

    /**
     * The images directory with symbolic links resolved: disk chains record the base image by this
     * path, and checkpoints restored on another node need the same path there.
     */
    private static Path canonical(Path images) {
        try {
            return images.toRealPath();
        } catch (IOException e) {
            return images;
        }
    }

    @Override
    public void close() {
        evacuations.shutdownNow();
        synchronized (this) {
            if (nodeWatch != null) {
                nodeWatch.close();
            }
        }
        jobReconcile.close();
        jobTimers.close();
        enclaves.close();
        metrics.close();
        audit.close();
        ft.close();
        migrationDestination.close();
        checkpoints.close();
        watch.close();
        restores.close();
        store.close();
    }
}
