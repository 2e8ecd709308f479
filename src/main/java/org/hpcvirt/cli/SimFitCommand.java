package org.hpcvirt.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import org.hpcvirt.sim.DistributionFit;
import org.hpcvirt.sim.FailureTrace;
import org.hpcvirt.sim.SimReport;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code hpcvirt sim fit TRACE}: Weibull and lognormal MLE fits of a failure trace's system. */
@Command(name = "fit", description = "Fit Weibull inter-arrival and lognormal repair times to a failure trace (MLE).")
final class SimFitCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "TRACE", description = "LANL-format CSV, plain or .xz")
    Path trace;
    @Option(names = "--system", description = "system number (default: the one with most failures)")
    String system;

    @Override
    public void run() {
        FailureTrace t = FailureTrace.load(trace, system);
        DistributionFit.Weibull w = DistributionFit.weibull(t.interArrivals());
        DistributionFit.LogNormal r = DistributionFit.logNormal(t.downtimes());
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "system %s: %d nodes, %d failures over %s%n", t.system(), t.nodes(), t.size(), SimReport.duration(t.span()));
        out.printf(Locale.ROOT, "inter-arrival: Weibull shape %.3f scale %s (mean %s; observed mean %s)%n", w.shape(),
                SimReport.duration(w.scale()), SimReport.duration(w.mean()), SimReport.duration(t.span() / t.size()));
        out.printf(Locale.ROOT, "repair: lognormal mu %.3f sigma %.3f (median %s, mean %s)%n", r.mu(), r.sigma(),
                SimReport.duration(r.median()), SimReport.duration(r.mean()));
        out.printf(Locale.ROOT, "node MTBF (platform MTBF × nodes): %s%n", SimReport.duration(t.span() / t.size() * t.nodes()));
        out.flush();
    }
}
