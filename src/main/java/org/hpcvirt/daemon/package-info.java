/**
 * The node daemon {@code hpcvirtd} and its HTTP transport: one {@link org.hpcvirt.daemon.RouteTable}
 * from which the REST routes, the {@link org.hpcvirt.daemon.DaemonClient} and the OpenAPI document
 * ({@link org.hpcvirt.daemon.OpenApi}) are derived; {@link org.hpcvirt.daemon.OperationBinder}
 * turns requests into operation records and back; {@link org.hpcvirt.daemon.NodeServices} composes
 * the control plane and registers one handler per operation. Routes only translate; errors become
 * HTTP statuses in {@link org.hpcvirt.daemon.ApiErrors}. Serves a Unix socket and, when asked, TCP
 * with a token.
 */
package org.hpcvirt.daemon;
