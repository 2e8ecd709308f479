package org.hpcvirt.bench.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.hpcvirt.bench.TlsBenchmark;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hpcvirt bench tls}: control requests and migrations between two namespaced daemons over mutual TLS vs plain TCP. */
@Command(name = "tls",
        description = "Cost of mutual TLS between daemons: control requests and live migrations over TLS vs plain TCP, one run (needs root).")
public final class BenchTlsCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--requests", defaultValue = "500", description = "Control requests per mode on one connection; a tenth of it on new connections (default ${DEFAULT-VALUE}).")
    int requests;

    @Option(names = "--rounds", defaultValue = "3", description = "Migrations per mode (default ${DEFAULT-VALUE}).")
    int rounds;

    @CommandLine.Mixin
    BenchImage image;

    @Option(names = "--nodes-script", defaultValue = "scripts/netns-nodes.sh", description = "Namespaced nodes script (default ${DEFAULT-VALUE}).")
    Path script;

    @Override
    public Integer call() throws Exception {
        // the options are checked before an image is built
        TlsBenchmark b = new TlsBenchmark(image.name, requests, rounds, script.toAbsolutePath(), spec.commandLine().getOut());
        b.run(image.ensureBuilt());
        return 0;
    }
}
