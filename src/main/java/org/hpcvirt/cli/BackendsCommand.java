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
            out.printf("%-6s %-7s %-9s %s%n", "NAME", "USABLE", "VERSION", "DETAILS");
            for (BackendRegistry.Described d : all) {
                out.printf("%-6s %-7s %-9s %s — %s%n", d.name(), d.usable() ? "yes" : "no", d.version(), d.description(), d.reason());
            }
        }
        return 0;
    }
}
