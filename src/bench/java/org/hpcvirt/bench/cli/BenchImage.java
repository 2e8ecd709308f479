package org.hpcvirt.bench.cli;

import java.nio.file.Path;
import org.hpcvirt.guest.ImageBuilder;
import org.hpcvirt.vm.NodeLayout;
import picocli.CommandLine.Option;

/** The benchmarks' {@code --image} option (a picocli mixin): the image to boot, built first if it is missing or stale. */
final class BenchImage {
    @Option(names = "--image", defaultValue = "default", description = "Image to boot (default ${DEFAULT-VALUE}); built if missing.")
    String name;

    /** Builds the image in {@code $HPCVIRT_HOME/images} unless it is up to date, and returns that directory. */
    Path ensureBuilt() {
        NodeLayout layout = NodeLayout.fromEnvironment().ensure();
        new ImageBuilder(layout.images()).build(name, false, System.out);
        return layout.images();
    }
}
