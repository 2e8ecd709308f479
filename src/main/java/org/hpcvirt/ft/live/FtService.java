package org.hpcvirt.ft.live;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.hpcvirt.api.DaemonThreads;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Json;
import org.hpcvirt.api.VmEvent;
import org.hpcvirt.api.VmState;
import org.hpcvirt.checkpoint.CheckpointManifest;
import org.hpcvirt.ft.AdminDefaults;
import org.hpcvirt.ft.CenterRules;
import org.hpcvirt.ft.IntervalInputs;
import org.hpcvirt.ft.MergedPolicy;
import org.hpcvirt.ft.PolicyKind;
import org.hpcvirt.ft.PolicyMerge;
import org.hpcvirt.ft.PolicySettings;
import org.hpcvirt.ft.PredictorQuality;
import org.hpcvirt.ft.StrictYaml;
import org.hpcvirt.ft.TrustRule;
import org.hpcvirt.profile.VmProfile;
import org.hpcvirt.api.Operation;
import org.hpcvirt.api.OperationClient;
import org.hpcvirt.api.RequestContext;
import org.hpcvirt.checkpoint.CheckpointStore;
import org.hpcvirt.vm.Dispatcher;
import org.hpcvirt.vm.NodeLayout;
import org.hpcvirt.vm.VmRegistry;

/**
 * The daemon's fault-tolerance side: every VM whose profile has an {@code ft:} section (policy
 * other than {@code none}) is watched by the {@link LiveFtExecutor} once it runs; predictions
 * come from {@code POST /v1/ft/predictions} and from the host's sensors; actions are carried out
 * through {@link NodeMechanisms} as operations of the node's dispatcher: on this node, or on a peer
 * node for migration and restarts. Policy values are merged from
 * {@code $HPCVIRT_HOME/ft/center.yaml} and {@code admin.yaml} (if present) and the profile, as
 * {@code hpcvirt ft policy explain} shows. Created and closed by the daemon's composition root.
 */
public final class FtService implements AutoCloseable {
    /** Tag of the checkpoints the executor takes. */
    static final String FT_TAG = "ft";
    /** Defaults for period rules (young, daly, optimal) when the center/admin files give none. */
    static final IntervalInputs DEFAULT_INPUTS = new IntervalInputs(24 * 3600, 5, 5, 0);

    private final VmRegistry vms;
    private final String node;
    private final LiveFtExecutor executor;
    private final CenterRules center;
    private final AdminDefaults admin;
    private final ScheduledExecutorService sensorThread;
    private final Consumer<VmEvent> subscriber;

    /**
     * @param peers  the other nodes by name ({@code name=http://host:port}), see {@link #peers}
     * @param remote opens a client of another node's daemon by URL; null when this daemon has no
     *               cluster token (then nothing moves to other nodes)
     */
    public FtService(VmRegistry vms, Dispatcher dispatcher, CheckpointStore store, NodeLayout layout, String node, Map<String, String> peers,
            java.util.function.Function<String, OperationClient> remote) {
        this.vms = vms;
        this.node = node;
        Path ftDir = layout.home().resolve("ft");
        this.center = Files.exists(ftDir.resolve("center.yaml")) ? StrictYaml.read(ftDir.resolve("center.yaml"), CenterRules.class)
                : CenterRules.NONE;
        this.admin = Files.exists(ftDir.resolve("admin.yaml")) ? StrictYaml.read(ftDir.resolve("admin.yaml"), AdminDefaults.class)
                : AdminDefaults.NONE;
        this.executor = new LiveFtExecutor(new NodeMechanisms(vms, dispatcher, store, node, peers, remote),
                vms.events()::publish, System::nanoTime);
        this.subscriber = this::onEvent;
        vms.events().subscribe(subscriber);
        this.sensorThread = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("ft-sensors"));
        HostSensors sensors = HostSensors.ofThisHost(HostSensors.Thresholds.defaults());
        HostSensors.Reading[] last = {sensors.read()};
        sensorThread.scheduleWithFixedDelay(() -> {
            HostSensors.Reading now = sensors.read();
            Optional<String> alarm = sensors.alarm(last[0], now);
            last[0] = now;
            alarm.ifPresent(why -> {
                vms.events().publish(VmEvent.of(null, VmEvent.Type.FT_DECISION, null, "host sensor alarm on " + node + ": " + why));
                executor.predict(node, Duration.ofSeconds(60), 0.8);
            });
        }, 5, 5, TimeUnit.SECONDS);
    }

    /** Watches the VMs that already run (re-attached by this daemon). Call after recovery. */
    public void watchRunning() {
        for (var s : vms.list()) {
            if (s.state() == VmState.RUNNING) {
                watchIfConfigured(s.name());
            }
        }
    }

    /** The policy settings of a profile's {@code ft:} section, merged with the center and admin files. */
    public PolicySettings settings(VmProfile.FtSettings ft) {
        MergedPolicy m = PolicyMerge.merge(center, admin, ft);
        PolicyKind kind = m.policy().value();
        double period = kind == PolicyKind.PROACTIVE || kind == PolicyKind.NONE ? Double.POSITIVE_INFINITY
                : m.resolvePeriod(DEFAULT_INPUTS, PredictorQuality.NONE, 1).seconds();
        return new PolicySettings(kind, period, m.action().value(), new TrustRule(0.9, 1, DEFAULT_INPUTS.restartCost(),
                DEFAULT_INPUTS.downtime()));
    }

    private void watchIfConfigured(String vm) {
        VmProfile p = vms.get(vm).profile();
        if (p.ft() == null || "none".equals(p.ft().policy()) || executor.watches(vm)) {
            return;
        }
        try {
            executor.watch(vm, settings(p.ft()));
        } catch (HpcvirtException e) {
            vms.events().publish(VmEvent.of(vm, VmEvent.Type.FT_DECISION, null,
                    "fault-tolerance policy not applied: " + e.getMessage()));
        }
    }

    private void onEvent(VmEvent ev) {
        if (ev.vm() == null) {
            return;
        }
        if (ev.type() == VmEvent.Type.DESTROYED) {
            executor.unwatch(ev.vm());
        } else if (ev.state() == VmState.RUNNING && ev.type() == VmEvent.Type.STATE_CHANGED) {
            // not on this thread: the bus is publishing and watch() reads the profile
            sensorThread.execute(() -> {
                try {
                    watchIfConfigured(ev.vm());
                } catch (HpcvirtException e) {
                    // VM destroyed meanwhile
                }
            });
        } else {
            executor.onVmEvent(ev);
        }
    }

    /** See {@link Operation.Predict}. */
    public Map<String, Object> predict(Operation.Predict p) {
        executor.predict(p.node(), Duration.ofMillis(Math.round(p.inSeconds() * 1000)), p.confidence());
        return Map.of("node", p.node(), "accepted", true);
    }

    /** See {@link Operation.FtStatus}. */
    public Map<String, Object> status() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("node", node);
        List<String> watched = new ArrayList<>();
        for (var s : vms.list()) {
            if (executor.watches(s.name())) {
                watched.add(s.name());
            }
        }
        out.put("watched", watched);
        return out;
    }

    @Override
    public void close() {
        vms.events().unsubscribe(subscriber);
        sensorThread.shutdownNow();
        executor.close();
    }

    /**
     * Mechanisms of this node, as operations of its dispatcher: checkpoints, pause-to-storage and
     * restarts here; moving work elsewhere through the peers (the same list on every node) and the
     * cluster token. Without peers (or without a token) the spare node is this one and migration is
     * refused with that reason.
     */
    static final class NodeMechanisms implements FtMechanisms {
        /** Periodic checkpoints keep the newest {@value #KEEP} of their own; other checkpoints are left alone. */
        static final int KEEP = 2;
        /** How long a restart or wake may take before the executor hears of a failure. */
        private static final int START_SECONDS = 120;

        private final VmRegistry vms;
        private final Dispatcher dispatcher;
        private final CheckpointStore store;
        private final String node;
        private final Map<String, String> peers;
        private final java.util.function.Function<String, OperationClient> remote;

        NodeMechanisms(VmRegistry vms, Dispatcher dispatcher, CheckpointStore store, String node, Map<String, String> peers,
                java.util.function.Function<String, OperationClient> remote) {
            this.vms = vms;
            this.dispatcher = dispatcher;
            this.store = store;
            this.node = node;
            this.peers = peers;
            this.remote = remote;
        }

        private Object run(Operation op) {
            return dispatcher.execute(op, RequestContext.INTERNAL);
        }

        @Override
        public void checkpoint(String vm) {
            run(new Operation.Checkpoint(vm, true, FT_TAG));
            List<CheckpointManifest> own = store.list(vm).stream().filter(c -> FT_TAG.equals(c.tag())).toList();
            for (int i = 0; i < own.size() - KEEP; i++) {
                store.delete(own.get(i).id());
            }
        }

        @Override
        public void migrate(String vm, String targetNode) {
            run(new Operation.Migrate(vm, url(targetNode, "migrate " + vm), null, null, null, null));
        }

        @Override
        public void pauseToStorage(String vm, String targetNode) {
            run(new Operation.Suspend(vm));
            run(new Operation.Wake(vm, true, START_SECONDS, targetNode.equals(node) ? null : url(targetNode, "wake " + vm)));
        }

        @Override
        public void restartFromLatest(String vm, String targetNode) {
            List<CheckpointManifest> ck = store.list(vm);
            if (targetNode.equals(node)) {
                if (ck.isEmpty()) {
                    run(new Operation.Start(vm, true, START_SECONDS));
                } else {
                    run(new Operation.Restore(ck.get(ck.size() - 1).id(), vm, true, START_SECONDS));
                }
                return;
            }
            if (ck.isEmpty()) {
                throw new HpcvirtException(ErrorCode.NOT_FOUND, "VM " + vm + " has no checkpoint to restart from on node " + targetNode);
            }
            try (OperationClient c = remote.apply(url(targetNode, "restart " + vm))) {
                c.execute(new Operation.Restore(ck.get(ck.size() - 1).id(), vm, true, START_SECONDS), org.hpcvirt.vm.VmStatus.class);
            }
            // it runs there now: this node forgets its crashed copy (the disk layers stay in the shared store)
            run(new Operation.Destroy(vm));
        }

        /** A VM that moved away (migration, hand-over, restart elsewhere) has no record here any more. */
        @Override
        public boolean owns(String vm) {
            return vms.find(vm).isPresent();
        }

        @Override
        public String nodeOf(String vm) {
            return node;
        }

        @Override
        public String spareNode(String failingNode) {
            if (remote == null) {
                return node;
            }
            return peers.keySet().stream().filter(n -> !n.equals(failingNode)).findFirst().orElse(node);
        }

        private String url(String target, String what) {
            if (remote == null) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot " + what + " on node " + target
                        + ": this daemon has no cluster token (start it with --listen and --token-file)");
            }
            String url = peers.get(target);
            if (url == null || target.equals(node)) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot " + what + ": no other node to move it to"
                        + " (peers: " + (peers.isEmpty() ? "none; set HPCVIRT_PEERS" : String.join(", ", peers.keySet())) + ")");
            }
            return url;
        }
    }
}
