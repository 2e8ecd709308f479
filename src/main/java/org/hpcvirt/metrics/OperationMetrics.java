package org.hpcvirt.metrics;

import io.prometheus.metrics.config.PrometheusProperties;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Operation;
import org.hpcvirt.api.RequestContext;
import org.hpcvirt.vm.Dispatcher;

/**
 * Every operation the dispatcher executed, as {@code hpcvirt_operations_total{operation,outcome}}
 * and {@code hpcvirt_operation_duration_seconds{operation}}. Runs on the caller's thread after each
 * execution: a map look-up and two lock-free updates, never blocks, never throws. Thread-safe.
 */
final class OperationMetrics implements Dispatcher.Observer {
    /** Upper bounds (seconds) of the duration histograms: a status read (ms) to a migration or a booting start (minutes). */
    static final double[] DURATION_BUCKETS = {0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600};

    private final Counter operations;
    private final Histogram durations;
    private final Map<Class<?>, String> names = new ConcurrentHashMap<>();

    OperationMetrics(PrometheusRegistry registry, PrometheusProperties props) {
        operations = Counter.builder(props).name("hpcvirt_operations_total")
                .help("Operations executed by the daemon's dispatcher, by operation and outcome (ok, or the error code in lower case)")
                .labelNames("operation", "outcome").withoutExemplars().register(registry);
        durations = Histogram.builder(props).name("hpcvirt_operation_duration_seconds")
                .help("Time from the dispatcher receiving an operation to its result or error, waiting for the VM's monitor included")
                .labelNames("operation").classicOnly().classicUpperBounds(DURATION_BUCKETS).withoutExemplars().register(registry);
    }

    @Override
    public void executed(Operation op, RequestContext ctx, long nanos, RuntimeException error) {
        try {
            String name = names.computeIfAbsent(op.getClass(), c -> label(c.getSimpleName()));
            operations.labelValues(name, outcome(error)).inc();
            durations.labelValues(name).observe(nanos / 1e9);
        } catch (RuntimeException e) {
            // an observer must not fail the operation it observes
        }
    }

    /** {@code SuspendCheckpoint} → {@code suspend_checkpoint}. */
    static String label(String simpleName) {
        return simpleName.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT);
    }

    /** {@code ok}, or the error code in lower case ({@code wrong_state}, {@code timeout}, …; {@code internal} for a bug). */
    static String outcome(RuntimeException error) {
        if (error == null) {
            return "ok";
        }
        return error instanceof HpcvirtException h ? h.code().name().toLowerCase(java.util.Locale.ROOT) : "internal";
    }
}
