package org.hpcvirt.metrics;

import io.prometheus.metrics.config.PrometheusProperties;
import io.prometheus.metrics.core.metrics.Info;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.hpcvirt.api.DaemonThreads;
import org.hpcvirt.api.VmState;
import org.hpcvirt.checkpoint.CheckpointManifest;
import org.hpcvirt.checkpoint.CheckpointStore;
import org.hpcvirt.vm.Dispatcher;
import org.hpcvirt.vm.EventBus;
import org.hpcvirt.vm.VmRegistry;
import org.hpcvirt.vm.VmStatus;

/**
 * The node's Prometheus metrics (every family is listed in {@code docs/metrics.md}). Built by the
 * composition root, which hands it the registry, the dispatcher (an observer counts and times every
 * operation) and the checkpoint store; it subscribes to the event bus (detections, injections,
 * checkpoint/restore/migration durations).
 *
 * <p><b>Snapshot.</b> A collector thread ({@code metrics-collect}) takes a {@link VmSnapshot}
 * every {@link #INTERVAL} from {@link VmRegistry#list()}, which only reads the VMs' volatile fields
 * (record, last heartbeat, the guest channel's atomic counters): it takes no VM's monitor, sends
 * nothing to QEMU or the guest. {@link #scrape()} renders the last snapshot and lock-free counters;
 * it never waits for a VM, so a stuck QEMU or an operation holding a VM's monitor cannot delay it.
 * If the collector itself stalled, scrapes still answer with the old snapshot and
 * {@code hpcvirt_metrics_snapshot_age_seconds} grows. The last checkpoint of each VM comes from the
 * CHECKPOINT events and, for checkpoints taken before this daemon started (or on another node), from
 * a scan of the store on a second thread ({@code metrics-store-scan}) at start and whenever a VM
 * appears.
 *
 * <p>Thread-safe. {@link #close()} stops both threads and the subscription.
 */
public final class NodeMetrics implements AutoCloseable {
    /** How often the collector thread takes a snapshot. */
    public static final Duration INTERVAL = Duration.ofSeconds(1);

    private final VmRegistry vms;
    private final EventBus bus;
    private final CheckpointStore checkpoints;
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final EventMetrics events;
    private final AtomicReference<VmSnapshot> latest = new AtomicReference<>();
    private final Set<String> known = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean scanQueued = new AtomicBoolean();
    private final ScheduledExecutorService collector = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("metrics-collect"));
    private final ExecutorService storeScan = Executors.newSingleThreadExecutor(DaemonThreads.named("metrics-store-scan"));
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.builder().setIncludeCreatedTimestamps(false).build();

    /**
     * Registers the collectors and starts the collector thread (the first snapshot is taken before
     * this returns).
     *
     * @param version         the daemon's version, for {@code hpcvirt_build_info}
     * @param startedAtMillis when the daemon started (epoch milliseconds)
     */
    public NodeMetrics(VmRegistry vms, Dispatcher dispatcher, CheckpointStore checkpoints, String version, long startedAtMillis) {
        this.vms = vms;
        this.bus = vms.events();
        this.checkpoints = checkpoints;
        // explicit, default properties: the client's own configuration sources (prometheus.properties,
        // IO_PROMETHEUS_* variables) must not change the daemon's metrics behind NodeConfig's back
        PrometheusProperties props = PrometheusProperties.builder().build();
        Info build = Info.builder(props).name("hpcvirt_build_info").help("Always 1; the daemon's version and Java runtime as labels")
                .labelNames("version", "java_version").register(registry);
        build.setLabelValues(version, Runtime.version().toString());
        this.events = new EventMetrics(registry, props);
        dispatcher.addObserver(new OperationMetrics(registry, props));
        registry.register(new SnapshotCollector(latest::get, new ProcessStats(), startedAtMillis));
        bus.subscribe(events);
        refresh();
        scanStore();
        collector.scheduleWithFixedDelay(this::collectQuietly, INTERVAL.toMillis(), INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The media type of {@link #scrape()}: the Prometheus text exposition format 0.0.4. */
    public String contentType() {
        return PrometheusTextFormatWriter.CONTENT_TYPE;
    }

    /** Every metric, in the Prometheus text format, from the latest snapshot. Never waits for a VM. */
    public byte[] scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
        try {
            writer.write(out, registry.scrape());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** The snapshot scrapes show now. */
    public VmSnapshot latest() {
        return latest.get();
    }

    /** Takes a snapshot on the calling thread now (the collector thread does so every {@link #INTERVAL}) and returns it. */
    public VmSnapshot refresh() {
        long t0 = System.nanoTime();
        List<VmStatus> list = vms.list();
        Instant now = Instant.now();
        Map<VmState, Integer> byState = new EnumMap<>(VmState.class);
        List<VmSnapshot.Vm> samples = new ArrayList<>(list.size());
        boolean appeared = false;
        for (VmStatus st : list) {
            byState.merge(st.state(), 1, Integer::sum);
            Instant cp = events.lastCheckpoint(st.name());
            // a heartbeat belongs to a guest that runs: none without a VMM process (stopped, crashed, suspended)
            boolean beats = st.state().isActive() && st.lastHeartbeatSeq() >= 0 && st.lastHeartbeatAgeMs() >= 0;
            samples.add(new VmSnapshot.Vm(st.name(), st.owner(), st.state(), st.backend(), st.cpus(), st.memoryBytes(),
                    beats ? st.lastHeartbeatSeq() : -1, beats ? st.lastHeartbeatAgeMs() / 1000.0 : Double.NaN, st.garbageLines(),
                    cp == null ? Double.NaN : Math.max(0, Duration.between(cp, now).toMillis() / 1000.0)));
            if (known.add(st.name())) {
                events.initVm(st.name());
                appeared = true;
            }
        }
        VmSnapshot s = new VmSnapshot(t0, (System.nanoTime() - t0) / 1e9, byState, samples);
        latest.set(s);
        // series of VMs that are gone (destroyed, migrated away) go with them
        known.removeIf(n -> vms.find(n).isEmpty());
        events.retain(n -> vms.find(n).isPresent());
        if (appeared) {
            scanStore();
        }
        return s;
    }

    private void collectQuietly() {
        try {
            refresh();
        } catch (RuntimeException e) {
            // keep the last snapshot: its age tells the scraper it is old
        }
    }

    /** Learns the last checkpoint of every VM from the store, on the scan thread; at most one scan queued. */
    private void scanStore() {
        if (!scanQueued.compareAndSet(false, true)) {
            return;
        }
        try {
            storeScan.execute(() -> {
                scanQueued.set(false);
                try {
                    for (CheckpointManifest m : checkpoints.list(null)) {
                        if (m.vm() != null && m.created() != null) {
                            events.knownCheckpoint(m.vm(), m.created());
                        }
                    }
                } catch (RuntimeException e) {
                    // an unreadable store: ages come from the events only
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            scanQueued.set(false); // closed
        }
    }

    /** Stops the collector and the store scan and unsubscribes from the bus; the dispatcher's observer stays (it only counts). */
    @Override
    public void close() {
        bus.unsubscribe(events);
        collector.shutdownNow();
        storeScan.shutdownNow();
    }
}
