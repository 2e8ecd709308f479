package org.hpcvirt.bench.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.hpcvirt.bench.InjectBenchmark;
import org.hpcvirt.daemon.Daemon;
import org.hpcvirt.inject.campaign.CampaignSpec;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hpcvirt bench inject}: injections per hour with snapshot reset vs a reboot per run. */
@Command(name = "inject", description = "Injections per hour: snapshot reset between runs vs reboot per run (same fault, runs, parallelism).")
public final class BenchInjectCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--runs", defaultValue = "20", description = "Injections per side (default ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--parallelism", description = "Victims at once (default: host cores).")
    Integer parallelism;

    @Option(names = "--fault", defaultValue = "sysrq-crash", description = "Fault to inject (default ${DEFAULT-VALUE}).")
    String fault;

    @CommandLine.Mixin
    BenchImage image;

    @Override
    public Integer call() throws Exception {
        Path images = image.ensureBuilt();
        int p = parallelism == null ? Runtime.getRuntime().availableProcessors() : parallelism;
        Path f = Files.createTempFile("hpcvirt-bench-inject", ".yaml");
        try {
            Files.writeString(f, "name: bench-inject\nbackends: [qemu]\nfaults:\n  - fault: " + fault + "\nruns: " + runs
                    + "\nbystanders: 0\nparallelism: " + p + "\nvm:\n  image: " + image.name + "\n");
            CampaignSpec campaign = CampaignSpec.load(f);
            new InjectBenchmark(Daemon.defaultBackends(), images).run(campaign, spec.commandLine().getOut());
        } finally {
            Files.deleteIfExists(f);
        }
        return 0;
    }
}
