/**
 * The node daemon's Prometheus metrics: {@link org.hpcvirt.metrics.NodeMetrics} owns the collectors
 * (VMs by state, per-VM heartbeat and checkpoint facts, operations from the dispatcher's observer,
 * detections and injections from the event bus, the daemon process itself) and renders them in the
 * Prometheus text exposition format; {@link org.hpcvirt.metrics.MetricsServer} is the plain-HTTP
 * listener of {@code hpcvirt daemon start --metrics ADDR:PORT} ({@link org.hpcvirt.metrics.MetricsAddress}),
 * which serves {@code /metrics} and nothing else.
 *
 * <p>Per-VM values come from a snapshot that one collector thread takes every second from the
 * {@link org.hpcvirt.vm.VmRegistry} (volatile fields only: no VM monitor, no QMP, no guest
 * request); a scrape renders the last snapshot and says how old it is
 * ({@code hpcvirt_metrics_snapshot_age_seconds}), so a stuck QEMU or an operation holding a VM's
 * monitor never delays it. Metrics are configured only here (the Prometheus client's own
 * properties files and {@code IO_PROMETHEUS_*} variables do not apply). Docs: {@code docs/metrics.md}.
 */
package org.hpcvirt.metrics;
