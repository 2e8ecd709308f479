package org.hpcvirt.cli;

import java.time.Duration;
import org.hpcvirt.api.DataSize;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.daemon.DaemonClient;
import org.hpcvirt.migration.MigrationReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hpcvirt vm migrate NAME --to URL [--max-downtime MS] [--bandwidth B]}. */
@Command(name = "migrate", description = "Live-migrate a RUNNING VM to the daemon at --to (its http://ADDR:PORT); "
        + "the local daemon authenticates with its cluster token.")
final class MigrateCommand extends VmCommand.OneVm {
    @Option(names = "--to", required = true, paramLabel = "NODE_URL", description = "Destination daemon, e.g. http://10.200.0.2:7700.")
    String to;

    @Option(names = "--max-downtime", descriptionKey = "Migrate.maxDowntimeMs", paramLabel = "MS",
            description = "Longest acceptable final pause in ms (default ${DEFAULT-VALUE}).")
    long maxDowntime;

    @Option(names = "--bandwidth", paramLabel = "B", description = "Cap in bytes/s, e.g. 50M (default: unlimited).")
    String bandwidth;

    @Option(names = "--channels", descriptionKey = "Migrate.channels", paramLabel = "N",
            description = "Connections for the state (default ${DEFAULT-VALUE}, at most 16). More than 1 uses QEMU multifd: faster, "
                    + "but with QEMU 7.2 a failed multifd migration leaves the source QEMU unable to migrate or checkpoint again.")
    int channels;

    @Option(names = "--timeout", descriptionKey = "Migrate.timeoutSeconds", description = "Seconds before the migration is cancelled (default ${DEFAULT-VALUE}).")
    int timeout;

    @Override
    public Integer call() {
        if (maxDowntime < 1) {
            throw HpcvirtException.invalid("--max-downtime must be at least 1 ms");
        }
        long bw = bandwidth == null ? 0 : DataSize.parse(bandwidth, "--bandwidth");
        if (channels < 1 || channels > org.hpcvirt.backend.Migratable.MigrateOptions.MAX_CHANNELS) {
            throw HpcvirtException.invalid("--channels must be between 1 and "
                    + org.hpcvirt.backend.Migratable.MigrateOptions.MAX_CHANNELS + ", not " + channels);
        }
        try (DaemonClient c = VmCommand.client()) {
            MigrationReport r = c.migrate(name, to, maxDowntime, bw, channels, Duration.ofSeconds(timeout));
            out().printf("%s migrated to %s: RUNNING there (qemu pid %d), heartbeat seq %d%n", r.vm(), r.to(),
                    r.destination().pid(), r.destination().lastHeartbeatSeq());
            out().printf("  total %d ms, downtime %d ms (guest paused <= %d ms), %s transferred, request %d ms%n", r.totalMs(),
                    r.downtimeMs(), r.pauseMs(), CheckpointCommand.mib(r.bytes()), r.elapsedMs());
        }
        return 0;
    }
}
