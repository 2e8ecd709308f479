package org.hpcvirt.bench.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.hpcvirt.bench.MigrationBenchmark;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hpcvirt bench migrate}: live migration between two namespaced daemons vs raw QMP, and the link's limit. */
@Command(name = "migrate",
        description = "Live migration between two network namespaces: hpcvirt vs raw QMP, and state ÷ link bandwidth (needs root).")
public final class BenchMigrateCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--rounds", defaultValue = "5", description = "Migrations of each (default ${DEFAULT-VALUE}).")
    int rounds;

    @CommandLine.Mixin
    BenchImage image;

    @Option(names = "--max-downtime", defaultValue = "10", description = "downtime-limit in ms for both (default ${DEFAULT-VALUE}).")
    long maxDowntime;

    @Option(names = "--channels", defaultValue = "4",
            description = "Parallel connections (multifd) for both hpcvirt and raw QMP; 1 = one stream (default ${DEFAULT-VALUE}).")
    int channels;

    @Option(names = "--nodes-script", defaultValue = "scripts/netns-nodes.sh", description = "Namespaced nodes script (default ${DEFAULT-VALUE}).")
    Path script;

    @Override
    public Integer call() throws Exception {
        Path images = image.ensureBuilt();
        new MigrationBenchmark(images, image.name, rounds, maxDowntime, channels, script.toAbsolutePath(), spec.commandLine().getOut()).run();
        return 0;
    }
}
