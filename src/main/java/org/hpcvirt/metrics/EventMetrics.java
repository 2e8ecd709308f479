package org.hpcvirt.metrics;

import io.prometheus.metrics.config.PrometheusProperties;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.hpcvirt.api.VmEvent;
import org.hpcvirt.api.VmState;

/**
 * The event bus's subscriber: events by type, detections (heartbeat lost, guest panic, QEMU exited
 * unexpectedly) and injections per VM, the durations that CHECKPOINT, RESTORED and MIGRATION events
 * carry, and the time of each VM's last checkpoint. Called under the bus's lock on the publishing
 * thread: only lock-free counter and histogram updates and a map put, never blocks, never throws.
 * Thread-safe.
 */
final class EventMetrics implements Consumer<VmEvent> {
    /** The event types counted as detections: what the node noticed going wrong with a guest or its VMM. */
    static final java.util.Set<VmEvent.Type> DETECTIONS = java.util.EnumSet.of(VmEvent.Type.HEARTBEAT_LOST,
            VmEvent.Type.GUEST_PANICKED, VmEvent.Type.QEMU_EXITED);
    /** Upper bounds (seconds) of the checkpoint, restore and migration histograms. */
    static final double[] DURATION_BUCKETS = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600};
    /** Upper bounds (seconds) of the guest pause and migration downtime histograms. */
    static final double[] PAUSE_BUCKETS = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

    private final Counter events;
    private final Counter detections;
    private final Counter injections;
    private final Histogram checkpointSeconds;
    private final Histogram checkpointPauseSeconds;
    private final Histogram restoreSeconds;
    private final Histogram migrationSeconds;
    private final Histogram migrationDowntimeSeconds;
    private final Map<String, Instant> lastCheckpoint = new ConcurrentHashMap<>();

    EventMetrics(PrometheusRegistry registry, PrometheusProperties props) {
        events = Counter.builder(props).name("hpcvirt_events_total").help("Events published by the daemon, by type")
                .labelNames("type").withoutExemplars().register(registry);
        for (VmEvent.Type t : VmEvent.Type.values()) {
            events.initLabelValues(t.name());
        }
        detections = Counter.builder(props).name("hpcvirt_detections_total")
                .help("Failures the node detected, by VM and event type: HEARTBEAT_LOST (guest silent, VM HUNG), "
                        + "GUEST_PANICKED (guest kernel panic), QEMU_EXITED (VMM exited unexpectedly, VM CRASHED)")
                .labelNames("vm", "type").withoutExemplars().register(registry);
        injections = Counter.builder(props).name("hpcvirt_injections_total")
                .help("Faults injected into VMs, by VM, error zone and fault").labelNames("vm", "zone", "fault")
                .withoutExemplars().register(registry);
        checkpointSeconds = histogram(registry, props, "hpcvirt_checkpoint_duration_seconds",
                "Duration of successful checkpoints (and suspends), from the CHECKPOINT events", DURATION_BUCKETS);
        checkpointPauseSeconds = histogram(registry, props, "hpcvirt_checkpoint_pause_seconds",
                "How long the guest was paused by each successful checkpoint", PAUSE_BUCKETS);
        restoreSeconds = histogram(registry, props, "hpcvirt_restore_duration_seconds",
                "Duration of successful restores and wakes, from the RESTORED events", DURATION_BUCKETS);
        migrationSeconds = histogram(registry, props, "hpcvirt_migration_duration_seconds",
                "Total duration of successful outgoing live migrations, from the MIGRATION events", DURATION_BUCKETS);
        migrationDowntimeSeconds = histogram(registry, props, "hpcvirt_migration_downtime_seconds",
                "Guest downtime of successful outgoing live migrations as QEMU reports it", PAUSE_BUCKETS);
    }

    private static Histogram histogram(PrometheusRegistry registry, PrometheusProperties props, String name, String help,
            double[] buckets) {
        return Histogram.builder(props).name(name).help(help).classicOnly().classicUpperBounds(buckets).withoutExemplars()
                .register(registry);
    }

    @Override
    public void accept(VmEvent ev) {
        try {
            events.labelValues(ev.type().name()).inc();
            if (ev.vm() == null) {
                return;
            }
            Map<String, Object> d = ev.data();
            switch (ev.type()) {
                case HEARTBEAT_LOST, GUEST_PANICKED -> detections.labelValues(ev.vm(), ev.type().name()).inc();
                // an exit is a detection only when unexpected (CRASHED), not after a stop or a guest power-off
                case QEMU_EXITED -> {
                    if (ev.state() == VmState.CRASHED) {
                        detections.labelValues(ev.vm(), ev.type().name()).inc();
                    }
                }
                case INJECTION -> injections.labelValues(ev.vm(), text(d.get("zone")), text(d.get("fault"))).inc();
                case CHECKPOINT -> {
                    // the checkpoint itself; not the disk-chain maintenance events that share the type
                    if (d.containsKey("checkpoint")) {
                        lastCheckpoint.merge(ev.vm(), ev.time(), (a, b) -> a.isAfter(b) ? a : b);
                        observeMs(checkpointSeconds, d.get("durationMs"));
                        observeMs(checkpointPauseSeconds, d.get("pauseMs"));
                    }
                }
                case RESTORED -> observeMs(restoreSeconds, d.get("ms"));
                case MIGRATION -> {
                    if (d.containsKey("totalMs")) {
                        observeMs(migrationSeconds, d.get("totalMs"));
                        observeMs(migrationDowntimeSeconds, d.get("downtimeMs"));
                    }
                }
                default -> { }
            }
        } catch (RuntimeException e) {
            // a subscriber must never fail the publisher
        }
    }

    private static void observeMs(Histogram h, Object ms) {
        if (ms instanceof Number n && n.doubleValue() >= 0) {
            h.observe(n.doubleValue() / 1000.0);
        }
    }

    private static String text(Object o) {
        return o == null ? "unknown" : o.toString();
    }

    /** The time of the last checkpoint of {@code vm} this daemon knows of, or null. */
    Instant lastCheckpoint(String vm) {
        return lastCheckpoint.get(vm);
    }

    /** Records a checkpoint found in the store (taken by an earlier daemon or another node); keeps the later time. */
    void knownCheckpoint(String vm, Instant created) {
        lastCheckpoint.merge(vm, created, (a, b) -> a.isAfter(b) ? a : b);
    }

    /**
     * Makes the per-VM counters of {@code vm} exist at 0 (so that the first detection is an
     * increase Prometheus can see).
     */
    void initVm(String vm) {
        for (VmEvent.Type t : DETECTIONS) {
            detections.initLabelValues(vm, t.name());
        }
    }

    /** Forgets the per-VM series of every VM that {@code exists} no longer accepts (destroyed, migrated away). */
    void retain(Predicate<String> exists) {
        detections.removeIf(labels -> !exists.test(labels.get(0)));
        injections.removeIf(labels -> !exists.test(labels.get(0)));
        lastCheckpoint.keySet().removeIf(vm -> !exists.test(vm));
    }
}
