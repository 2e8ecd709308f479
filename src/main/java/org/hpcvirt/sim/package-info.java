/**
 * Discrete-event simulator of fault-tolerance policies at cluster scale. This package owns: the
 * platform failure processes (exponential, Weibull, replay of a real trace) and their fitting,
 * the failure predictor model, repair-time models, scenarios (YAML and flags), the event loop
 * that drives the {@code org.hpcvirt.ft} policies (the same classes the daemon will drive live),
 * replications with confidence intervals, and parameter sweeps with Markdown/PNG reports.
 *
 * <p>Cost grows with the number of events, not of nodes: N identical exponential nodes are one
 * exponential process of rate N/M, and Weibull nodes that never failed are sampled as one group.
 */
package org.hpcvirt.sim;
