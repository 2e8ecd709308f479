package org.hpcvirt.cli;

import java.util.concurrent.Callable;
import org.hpcvirt.bench.BootBenchmark;
import org.hpcvirt.vm.NodeLayout;
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

    @Option(names = "--image", defaultValue = "default", description = "Image to boot (default ${DEFAULT-VALUE}); built if missing.")
    String image;

    @Override
    public Integer call() throws Exception {
        NodeLayout layout = NodeLayout.fromEnvironment().ensure();
        new org.hpcvirt.guest.ImageBuilder(layout.images()).build(image, false, System.out);
        new BootBenchmark(layout.images(), image, rounds, spec.commandLine().getOut()).run();
        return 0;
    }
}
