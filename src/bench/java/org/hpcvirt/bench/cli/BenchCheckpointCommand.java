package org.hpcvirt.bench.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.hpcvirt.bench.CheckpointBenchmark;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hpcvirt bench checkpoint}: checkpoint and restore, hpcvirt vs raw QMP, virsh save/restore and the disk's limit. */
@Command(name = "checkpoint", aliases = "restore",
        description = "Checkpoint and restore of a 128 MiB guest: hpcvirt vs raw QMP, virsh save/restore, disk limit (medians, ratios).")
public final class BenchCheckpointCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--rounds", defaultValue = "5", description = "Rounds of each (default ${DEFAULT-VALUE}).")
    int rounds;

    @CommandLine.Mixin
    BenchImage image;

    @Option(names = "--libvirt-script", defaultValue = "bench/libvirt-setup.sh",
            description = "Script that installs/starts libvirt and stops what it started (default ${DEFAULT-VALUE}).")
    Path script;

    @Option(names = "--no-libvirt", description = "Leave the libvirt column out.")
    boolean noLibvirt;

    @Override
    public Integer call() throws Exception {
        Path images = image.ensureBuilt();
        Path s = noLibvirt ? null : script.toAbsolutePath();
        if (s != null && !Files.isExecutable(s)) {
            spec.commandLine().getOut().println("libvirt: not available: no executable " + s);
            s = null;
        }
        new CheckpointBenchmark(images, image.name, rounds, s, spec.commandLine().getOut()).run();
        return 0;
    }
}
