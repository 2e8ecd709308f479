package org.hpcvirt.bench.cli;

import java.util.concurrent.Callable;
import org.hpcvirt.bench.MetricsScrapeBenchmark;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hpcvirt bench metrics}: the time to serve /metrics with idle guests, vs GET /v1/node. */
@Command(name = "metrics",
        description = "Time to serve GET /metrics (metrics listener and API socket) with idle guests running, side by side with"
                + " GET /v1/node over the same socket (medians, ratio).")
public final class BenchMetricsCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--vms", defaultValue = "4", description = "Idle guests booted on the node (default ${DEFAULT-VALUE}).")
    int vms;

    @Option(names = "--requests", defaultValue = "500", description = "Requests of each kind (default ${DEFAULT-VALUE}).")
    int requests;

    @CommandLine.Mixin
    BenchImage image;

    @Override
    public Integer call() throws Exception {
        new MetricsScrapeBenchmark(image.ensureBuilt(), image.name, vms, requests, spec.commandLine().getOut()).run();
        return 0;
    }
}
