/**
 * The node's control plane core: the {@link org.hpcvirt.vm.Dispatcher} that executes every
 * {@link org.hpcvirt.api.Operation}, the {@link org.hpcvirt.vm.Preconditions} table (which VM
 * states allow which operation), the {@link org.hpcvirt.vm.VmRegistry} (the node's VMs, their
 * transitions and their persistence in SQLite, {@code store}), the
 * {@link org.hpcvirt.vm.InstanceWatch} (VMM events, heartbeats, hang detection),
 * {@link org.hpcvirt.vm.Reattach} (re-attach after a daemon restart) and the
 * {@link org.hpcvirt.vm.Lifecycle} operations. Checkpoint and migration build on it in their own
 * packages.
 */
package org.hpcvirt.vm;
