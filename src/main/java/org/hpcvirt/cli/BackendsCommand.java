package org.hpcvirt.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import org.hpcvirt.backend.BackendRegistry;
import org.hpcvirt.daemon.Daemon;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code hpcvirt backends}: each backend's probe result on this host (probed locally, no daemon needed). */
@Command(name = "backends", description = "Show which virtualization solutions can run here, and why not.")
public final class BackendsCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        List<BackendRegistry.Described> all = Daemon.defaultBackends().describe();
        if (json) {
            Output.json(out, all);
        } else {
            int w = Math.max(9, all.stream().mapToInt(d -> d.version().length()).max().orElse(0));
            String row = "%-7s %-6s %-" + w + "s %s%n";
            out.printf(row, "NAME", "USABLE", "VERSION", "DETAILS");
            for (BackendRegistry.Described d : all) {
                out.printf(row, d.name(), d.usable() ? "yes" : "no", d.version(), d.description() + " — " + d.reason());
                d.lacking().forEach((cap, why) -> out.printf("        lacks %s: %s%n", cap, why));
            }
        }
        return 0;
    }
}
