/**
 * The node daemon {@code hpcvirtd}: owns the node's VMs through {@link org.hpcvirt.vm.VmService} and
 * serves the REST + SSE API on a Unix socket (and, when asked, TCP with a token). Routes only
 * translate HTTP to service calls; errors become HTTP statuses in {@link org.hpcvirt.daemon.ApiErrors}.
 */
package org.hpcvirt.daemon;
