package org.hpcvirt.bench.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.hpcvirt.bench.FootprintBenchmark;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hpcvirt bench footprint}: the daemon's resident memory and CPU with idle VMs, vs libvirtd with as many idle domains. */
@Command(name = "footprint",
        description = "Resident memory (RSS, PSS) and CPU of the daemon process with idle VMs, side by side with libvirtd managing as"
                + " many idle domains of the same shape (table, ratio, goals).")
public final class BenchFootprintCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--vms", defaultValue = "8", description = "Idle VMs per daemon (default ${DEFAULT-VALUE}).")
    int vms;

    @Option(names = "--seconds", defaultValue = "60", description = "Measuring window in seconds (default ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--settle", defaultValue = "30",
            description = "Seconds to wait after the last VM's first heartbeat before the window (default ${DEFAULT-VALUE}).")
    int settle;

    @Option(names = "--jvm-opts", paramLabel = "'OPTS'",
            description = "Also measure a daemon with these JVM options instead of the product's (white-space separated; repeatable).")
    List<String> jvmOpts = new ArrayList<>();

    @CommandLine.Mixin
    BenchImage image;

    @Option(names = "--libvirt-script", defaultValue = "bench/libvirt-setup.sh",
            description = "Script that installs/starts libvirt and stops what it started (default ${DEFAULT-VALUE}).")
    Path script;

    @Option(names = "--no-libvirt", description = "Leave the libvirtd column out.")
    boolean noLibvirt;

    @Override
    public Integer call() throws Exception {
        List<List<String>> sets = new ArrayList<>();
        for (String o : jvmOpts) {
            sets.add(o.isBlank() ? List.of() : List.of(o.strip().split("\\s+")));
        }
        Path s = noLibvirt ? null : script.toAbsolutePath();
        // checked before the image is built: a bad argument costs nothing
        FootprintBenchmark bench = new FootprintBenchmark(vms, seconds, settle, sets, s, spec.commandLine().getOut());
        bench.run(image.ensureBuilt(), image.name);
        return 0;
    }
}
