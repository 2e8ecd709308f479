package org.hpcvirt.daemon;

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
import org.hpcvirt.ft.live.FtMechanisms;
import org.hpcvirt.ft.live.HostSensors;
import org.hpcvirt.ft.live.LiveFtExecutor;
import org.hpcvirt.profile.VmProfile;
import org.hpcvirt.vm.NodeLayout;
import org.hpcvirt.vm.VmService;

/**
 * The daemon's fault-tolerance side: every VM whose profile has an {@code ft:} section (policy
 * other than {@code none}) is watched by the {@link LiveFtExecutor} once it runs; predictions
 * come from {@code POST /v1/ft/predictions} and from the host's sensors; actions are carried out
 * through {@link NodeMechanisms}: on this node, or on a peer node for migration and restarts. Policy values are merged from
 * {@code $HPCVIRT_HOME/ft/center.yaml} and {@code admin.yaml} (if present) and the profile, as
 * {@code hpcvirt ft policy explain} shows. Created and closed by the {@link Daemon}.
 */
final class FtSupport implements AutoCloseable {
    /** Tag of the checkpoints the executor takes. */
    static final String FT_TAG = "ft";
    /** Defaults for period rules (young, daly, optimal) when the center/admin files give none. */
    static final IntervalInputs DEFAULT_INPUTS = new IntervalInputs(24 * 3600, 5, 5, 0);

    private final VmService vms;
    private final String node;
    private final LiveFtExecutor executor;
    private final CenterRules center;
    private final AdminDefaults admin;
    private final ScheduledExecutorService sensorThread;
    private final Consumer<VmEvent> subscriber;

    FtSupport(VmService vms, NodeLayout layout, String node, TcpListener tcp) {
        this.vms = vms;
        this.node = node;
        Path ftDir = layout.home().resolve("ft");
        this.center = Files.exists(ftDir.resolve("center.yaml")) ? StrictYaml.read(ftDir.resolve("center.yaml"), CenterRules.class)
                : CenterRules.NONE;
        this.admin = Files.exists(ftDir.resolve("admin.yaml")) ? StrictYaml.read(ftDir.resolve("admin.yaml"), AdminDefaults.class)
                : AdminDefaults.NONE;
        this.executor = new LiveFtExecutor(new NodeMechanisms(vms, node, peers(System.getenv("HPCVIRT_PEERS")), tcp),
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
    void watchRunning() {
        for (var s : vms.list()) {
            if (s.state() == VmState.RUNNING) {
                watchIfConfigured(s.name());
            }
        }
    }

    /** The policy settings of a profile's {@code ft:} section, merged with the center and admin files. */
    PolicySettings settings(VmProfile.FtSettings ft) {
        MergedPolicy m = PolicyMerge.merge(center, admin, ft);
        PolicyKind kind = m.policy().value();
        double period = kind == PolicyKind.PROACTIVE || kind == PolicyKind.NONE ? Double.POSITIVE_INFINITY
                : m.resolvePeriod(DEFAULT_INPUTS, PredictorQuality.NONE, 1).seconds();
        return new PolicySettings(kind, period, m.action().value(), new TrustRule(0.9, 1, DEFAULT_INPUTS.restartCost(),
                DEFAULT_INPUTS.downtime()));
    }

    private void watchIfConfigured(String vm) {
        VmProfile p = vms.profile(vm);
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

    /** Routes: predictions in, watched jobs out. */
    void routes(io.javalin.config.RoutesConfig r) {
        r.post("/v1/ft/predictions", ctx -> {
            Prediction p = Json.strict().readValue(ctx.body().isBlank() ? "{}" : ctx.body(), Prediction.class);
            if (p.node() == null || p.node().isBlank()) {
                throw HpcvirtException.invalid("request body: field 'node' is required");
            }
            if (p.inSeconds() == null || p.inSeconds() < 0 || p.inSeconds() > 365 * 86400.0) {
                throw HpcvirtException.invalid("request body: inSeconds must be between 0 and one year");
            }
            double confidence = p.confidence() == null ? 1.0 : p.confidence();
            executor.predict(p.node(), Duration.ofMillis(Math.round(p.inSeconds() * 1000)), confidence);
            ctx.status(202).json(Map.of("node", p.node(), "accepted", true));
        });
        r.get("/v1/ft", ctx -> {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("node", node);
            List<String> watched = new ArrayList<>();
            for (var s : vms.list()) {
                if (executor.watches(s.name())) {
                    watched.add(s.name());
                }
            }
            out.put("watched", watched);
            ctx.json(out);
        });
    }

    /** POST /v1/ft/predictions. */
    record Prediction(String node, Double inSeconds, Double confidence) {
    }

    /** The node this daemon runs: {@code $HPCVIRT_NODE}, else the host name. */
    static String nodeName() {
        String env = System.getenv("HPCVIRT_NODE");
        if (env != null && !env.isBlank()) {
            return env;
        }
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            return "localhost";
        }
    }

    @Override
    public void close() {
        vms.events().unsubscribe(subscriber);
        sensorThread.shutdownNow();
        executor.close();
    }

    /**
     * Mechanisms of this node: checkpoints, pause-to-storage and restarts use {@link VmService};
     * moving work elsewhere uses the peers named in {@code $HPCVIRT_PEERS}
     * ({@code name=http://host:port,…}, the same list on every node) through their TCP listeners
     * and the cluster token. Without peers (or without a token) the spare node is this one and
     * migration is refused with that reason.
     */
    static final class NodeMechanisms implements FtMechanisms {
        /** Periodic checkpoints keep the newest {@value #KEEP} of their own; other checkpoints are left alone. */
        static final int KEEP = 2;

        private final VmService vms;
        private final String node;
        private final Map<String, String> peers;
        private final TcpListener tcp;

        NodeMechanisms(VmService vms, String node, Map<String, String> peers, TcpListener tcp) {
            this.vms = vms;
            this.node = node;
            this.peers = peers;
            this.tcp = tcp;
        }

        @Override
        public void checkpoint(String vm) {
            vms.checkpoint(vm, true, FT_TAG);
            List<CheckpointManifest> own = vms.checkpoints().list(vm).stream().filter(c -> FT_TAG.equals(c.tag())).toList();
            for (int i = 0; i < own.size() - KEEP; i++) {
                vms.checkpoints().delete(own.get(i).id());
            }
        }

        @Override
        public void migrate(String vm, String targetNode) {
            String url = remote(targetNode, "migrate " + vm);
            try (RemotePeer peer = new RemotePeer(url, tcp.token(), "http://" + tcp.host() + ":" + tcp.port())) {
                vms.migrate(vm, peer, new org.hpcvirt.backend.Migratable.MigrateOptions(Duration.ofMillis(50), 0,
                        Duration.ofMinutes(5)), Duration.ofSeconds(60));
            }
        }

        @Override
        public void pauseToStorage(String vm, String targetNode) {
            CheckpointManifest m = vms.suspend(vm);
            if (targetNode.equals(node)) {
                vms.wake(vm, true, Duration.ofMinutes(2));
                return;
            }
            try (DaemonClient c = DaemonClient.remote(remote(targetNode, "wake " + vm), tcp.token())) {
                c.restore(m.id(), vm, true, Duration.ofMinutes(2));
            }
            vms.handOver(vm, targetNode);
        }

        @Override
        public void restartFromLatest(String vm, String targetNode) {
            List<CheckpointManifest> ck = vms.checkpoints().list(vm);
            if (targetNode.equals(node)) {
                if (ck.isEmpty()) {
                    vms.start(vm, true, Duration.ofMinutes(2));
                } else {
                    vms.restore(ck.get(ck.size() - 1).id(), vm, true, Duration.ofMinutes(2));
                }
                return;
            }
            if (ck.isEmpty()) {
                throw new HpcvirtException(ErrorCode.NOT_FOUND, "VM " + vm + " has no checkpoint to restart from on node " + targetNode);
            }
            try (DaemonClient c = DaemonClient.remote(remote(targetNode, "restart " + vm), tcp.token())) {
                c.restore(ck.get(ck.size() - 1).id(), vm, true, Duration.ofMinutes(2));
            }
            // it runs there now: this node forgets its crashed copy (the disk layers stay in the shared store)
            vms.destroy(vm);
        }

        /** A VM that moved away (migration, hand-over, restart elsewhere) has no record here any more. */
        @Override
        public boolean owns(String vm) {
            return vms.list().stream().anyMatch(st -> st.name().equals(vm));
        }

        @Override
        public String nodeOf(String vm) {
            return node;
        }

        @Override
        public String spareNode(String failingNode) {
            if (tcp == null) {
                return node;
            }
            return peers.keySet().stream().filter(n -> !n.equals(failingNode)).findFirst().orElse(node);
        }

        private String remote(String target, String what) {
            if (tcp == null) {
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

    /** {@code $HPCVIRT_PEERS}: {@code name=http://host:port} pairs separated by commas; INVALID_INPUT if malformed. */
    static Map<String, String> peers(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        if (text == null || text.isBlank()) {
            return out;
        }
        for (String part : text.split(",")) {
            String[] kv = part.trim().split("=", 2);
            if (kv.length != 2 || kv[0].isBlank() || !kv[1].matches("http://[A-Za-z0-9.:\\[\\]-]+:[0-9]{1,5}/?")) {
                throw HpcvirtException.invalid("HPCVIRT_PEERS: '" + part.trim() + "' is not NAME=http://HOST:PORT");
            }
            out.put(kv[0].trim(), kv[1].trim().replaceAll("/$", ""));
        }
        return out;
    }
}
