package org.hpcvirt.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import org.hpcvirt.backend.BackendRegistry;
import org.hpcvirt.daemon.Daemon;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code hpcvirt backends}: each backend's probe result on this host and its capability matrix
 * (lifecycle, pause, checkpoint, migrate, memory access, kernel faults, data disk) with the reason for
 * every absent capability; probed locally, no daemon needed. {@code --json} prints the same as
 * {@code GET /v1/backends}.
 */
@Command(name = "backends", mixinStandardHelpOptions = true,
        description = "Show which virtualization solutions can run here, what each can do, and why not.")
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
            int w = Math.max(4, all.stream().mapToInt(d -> d.name().length()).max().orElse(0));
            int v = Math.max(9, all.stream().mapToInt(d -> d.version().length()).max().orElse(0));
            out.printf("%-" + w + "s  %-6s  %-" + v + "s %s%n", "NAME", "USABLE", "VERSION", "DETAILS");
            for (BackendRegistry.Described d : all) {
                out.printf("%-" + w + "s  %-6s  %-" + v + "s %s — %s%n", d.name(), d.usable() ? "yes" : "no", d.version(), d.description(),
                        d.reason());
            }
            out.println();
            out.print(CapabilityTable.render(all));
            out.flush();
        }
        return 0;
    }
}
