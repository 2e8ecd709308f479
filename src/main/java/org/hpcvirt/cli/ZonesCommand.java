package org.hpcvirt.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.hpcvirt.backend.Backend;
import org.hpcvirt.daemon.Daemon;
import org.hpcvirt.enclave.IsolationLevel;
import org.hpcvirt.inject.ErrorZone;
import org.hpcvirt.inject.Fault;
import org.hpcvirt.inject.ZoneModel;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code hpcvirt zones}: the error-zone model — expected effect per zone × backend × isolation level, and the faults. */
@Command(name = "zones", description = "Show the error zones, the expected effect of faults per backend and isolation level, and the faults.")
public final class ZonesCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        List<String> backends = new ArrayList<>(Daemon.defaultBackends().all().stream().map(Backend::name).toList());
        for (String b : ZoneModel.KNOWN_BACKENDS) {
            if (!backends.contains(b)) {
                backends.add(b);
            }
        }
        List<ZoneModel.Disposition> table = ZoneModel.table(backends);
        if (json) {
            Output.json(out, table);
            return 0;
        }
        out.println("Error zones (effect: limited = only the victim fails, varied = depends on policy, global = whole node):");
        for (ErrorZone z : ErrorZone.values()) {
            out.printf("  %s  %-24s %s%n", z.label(), z.place(),
                    z.fixedEffect() == null ? "depends on backend and isolation level" : z.fixedEffect().id());
        }
        out.println();
        out.println("E-Zone 3 (guest kernel) per backend and isolation level:");
        out.printf("  %-10s %-12s %-8s %-12s %-10s %s%n", "backend", "isolation", "effect", "behaves as", "inject", "why");
        for (ZoneModel.Disposition d : table) {
            if (d.zone() == ErrorZone.GUEST_KERNEL) {
                out.printf("  %-10s %-12s %-8s %-12s %-10s %s%n", d.backend(), d.isolation().id(), d.effect().id(),
                        d.behavesLike().label(), d.injectable() ? "yes" : "REFUSED", d.reason());
            }
        }
        out.println();
        out.println("Isolation levels:");
        for (IsolationLevel l : IsolationLevel.values()) {
            out.printf("  %-12s %s%n", l.id(), l.meaning());
        }
        out.println();
        out.println("Faults (hpcvirt inject FAULT VM, or in a campaign file):");
        for (Fault f : Fault.values()) {
            out.printf("  %-18s %s  %s%s%n", f.id(), f.zone().label(), f.description(),
                    f.options().isEmpty() ? "" : " [options: " + String.join(", ", f.options()) + "]");
        }
        return 0;
    }
}
