package org.hpcvirt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.hpcvirt.backend.Backend;
import org.hpcvirt.backend.ProbeResult;
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
        var arr = org.hpcvirt.api.Json.mapper().createArrayNode();
        for (Backend b : Daemon.defaultBackends().all()) {
            ProbeResult p = b.probe();
            var n = arr.addObject();
            n.put("name", b.name());
            n.put("description", b.description());
            n.put("usable", p.usable());
            n.put("reason", p.reason());
            n.put("version", p.version());
        }
        if (json) {
            Output.json(out, arr);
        } else {
            out.printf("%-6s %-7s %-9s %s%n", "NAME", "USABLE", "VERSION", "DETAILS");
            for (JsonNode n : arr) {
                out.printf("%-6s %-7s %-9s %s — %s%n", n.get("name").asText(), n.get("usable").asBoolean() ? "yes" : "no",
                        n.get("version").asText(), n.get("description").asText(), n.get("reason").asText());
            }
        }
        return 0;
    }
}
