package org.hpcvirt.bench.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.hpcvirt.bench.EnclaveBenchmark;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hpcvirt bench enclave}: shared memory between composed enclaves vs native and vs a private network, creation and attach times, OS noise. */
@Command(name = "enclave",
        description = "Two performance enclaves (cores 0 and 1) joined by a shared-memory link: checked ring throughput and round-trip"
                + " latency over the link side by side with the same program between two host processes over /dev/shm and over TCP"
                + " (plus ping) between two VMs pinned alike on a private network of this node; enclave create"
                + " and link attach times; fixed-work-quantum jitter of a pinned enclave with and without a noisy neighbour enclave,"
                + " against an unpinned VM. Needs cores 0 and 1 free of enclaves.")
public final class BenchEnclaveCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--runs", defaultValue = "3", description = "Runs, each with freshly created enclaves (default ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--out", paramLabel = "DIR", description = "Also write the tables and the per-run samples (CSV) into DIR.")
    Path out;

    @CommandLine.Mixin
    BenchImage image;

    @Override
    public Integer call() throws Exception {
        // checked before the image is built: a bad argument costs nothing
        EnclaveBenchmark bench = new EnclaveBenchmark(null, image.name, runs, out, spec.commandLine().getOut());
        bench.withImages(image.ensureBuilt()).run();
        return 0;
    }
}
