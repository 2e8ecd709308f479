/**
 * The {@code hpcvirt} command line (picocli): one small class per command that parses, calls a
 * service (in-process, or the node daemon through {@link org.hpcvirt.daemon.DaemonClient}, which
 * sends operations) and prints. No logic lives here; exceptions become exit codes in
 * {@code ExitCodes} only; options that stand for an operation's field take its default from the
 * operation record ({@code OperationDefaults}). No capability imports this package; the
 * benchmarks' jar plugs its commands in through {@link org.hpcvirt.cli.CommandPlugin}.
 */
package org.hpcvirt.cli;
