package org.hpcvirt.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.hpcvirt.api.VmEvent;
import org.hpcvirt.daemon.DaemonClient;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hpcvirt events}: the node's event log, optionally followed live. */
@Command(name = "events", description = "Print events (state changes and detections); --follow streams new ones.")
public final class EventsCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--vm", description = "Only events of this VM.")
    String vm;

    @Option(names = {"-f", "--follow"}, description = "Keep streaming new events until interrupted.")
    boolean follow;

    @Option(names = "--json", description = "One JSON object per line.")
    boolean json;

    @Option(names = "--after", defaultValue = "0", description = "Only events with a sequence number above this.")
    long after;

    @Override
    public Integer call() {
        if (after < 0) {
            throw org.hpcvirt.api.HpcvirtException.invalid("--after must not be negative");
        }
        PrintWriter out = spec.commandLine().getOut();
        try (DaemonClient c = VmCommand.client()) {
            if (follow) {
                c.follow(vm, after, ev -> {
                    print(out, ev);
                    return !out.checkError();
                });
            } else {
                for (VmEvent ev : c.events(vm, after, 100_000)) {
                    print(out, ev);
                }
            }
        }
        return 0;
    }

    private void print(PrintWriter out, VmEvent ev) {
        if (json) {
            Output.jsonLine(out, ev);
        } else {
            out.println(Output.event(ev));
        }
        out.flush();
    }
}
