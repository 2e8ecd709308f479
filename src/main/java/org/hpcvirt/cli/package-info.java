/**
 * The {@code hpcvirt} command line (picocli): one small class per command that parses, calls a
 * service (in-process, or the node daemon through {@link org.hpcvirt.daemon.DaemonClient}) and
 * prints. No logic lives here; exceptions become exit codes in {@code ExitCodes} only. Nothing
 * imports this package.
 */
package org.hpcvirt.cli;
