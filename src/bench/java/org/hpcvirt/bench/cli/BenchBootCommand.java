package org.hpcvirt.bench.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.hpcvirt.bench.BootBenchmark;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hpcvirt bench boot}: start request → first heartbeat, hpcvirt vs the same QEMU command line run raw. */
@Command(name = "boot", description = "Time from start request to first heartbeat, hpcvirt vs raw QEMU (median, ratio).")
public final class BenchBootCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--rounds", defaultValue = "5", description = "Rounds of each (default ${DEFAULT-VALUE}).")
    int rounds;

    @CommandLine.Mixin
    BenchImage image;

    @Override
    public Integer call() throws Exception {
        Path images = image.ensureBuilt();
        new BootBenchmark(images, image.name, rounds, spec.commandLine().getOut()).run();
        return 0;
    }
}
