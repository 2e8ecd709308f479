/**
 * Fault-tolerance policies and their mathematics. This package owns: the checkpoint-interval
 * formulas ({@link org.hpcvirt.ft.CheckpointIntervals}: Young, Daly, the exact exponential
 * optimum, the optimum with a failure predictor), the event/action vocabulary between a driver and
 * a policy ({@link org.hpcvirt.ft.FtEvent}, {@link org.hpcvirt.ft.FtAction}), the built-in
 * policies (reactive, proactive, hybrid) and the center/administrator/user policy merge
 * ({@link org.hpcvirt.ft.PolicyMerge}).
 *
 * <p>Policies know nothing about simulated versus real time: a driver (the simulator in
 * {@code org.hpcvirt.sim} today, the daemon's live executor later) feeds them timestamped events
 * and carries out the actions they return.
 */
package org.hpcvirt.ft;
