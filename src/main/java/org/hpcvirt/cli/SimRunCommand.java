package org.hpcvirt.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.sim.Scenario;
import org.hpcvirt.sim.SimReport;
import org.hpcvirt.sim.Simulator;
import org.hpcvirt.sim.Summary;
import org.hpcvirt.sim.Sweep;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code hpcvirt sim run [SCENARIO.yaml] [flags]}: flags override the file's settings. */
@Command(name = "run", description = "Run a scenario (file and/or flags; flags win) or a sweep of one setting.")
final class SimRunCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "SCENARIO", description = "scenario YAML (keys as the flags, camelCase)")
    Path scenario;

    @Option(names = "--nodes", description = "nodes of the platform") String nodes;
    @Option(names = "--node-mtbf", description = "MTBF of one node, e.g. 5y") String nodeMtbf;
    @Option(names = "--failures", description = "exponential | weibull:SHAPE | trace:FILE[:SYSTEM]") String failures;
    @Option(names = "--checkpoint-cost", description = "e.g. 60s") String checkpointCost;
    @Option(names = "--restart-cost", description = "e.g. 60s") String restartCost;
    @Option(names = "--downtime", description = "DURATION | lognormal:MEDIAN:SIGMA | trace") String downtime;
    @Option(names = "--migration-cost", description = "e.g. 30s") String migrationCost;
    @Option(names = "--policy", description = "none | reactive | proactive | hybrid") String policy;
    @Option(names = "--action", description = "migrate | pause") String action;
    @Option(names = "--period", description = "young | daly | optimal | DURATION") String period;
    @Option(names = "--recall", description = "predictor recall in [0,1]") String recall;
    @Option(names = "--precision", description = "predictor precision in (0,1]") String precision;
    @Option(names = "--lead-time", description = "prediction lead time") String leadTime;
    @Option(names = "--horizon", description = "simulated time limit, e.g. 1y") String horizon;
    @Option(names = "--work", description = "job work (DURATION) or none: run to the horizon") String work;
    @Option(names = "--replications", description = "independent runs") String replications;
    @Option(names = "--seed", description = "random seed") String seed;
    @Option(names = "--json", description = "print JSON") boolean json;
    @Option(names = "--sweep", paramLabel = "PARAM=v1,v2,…", description = "run once per value of one setting") String sweep;
    @Option(names = "--out", description = "directory for the sweep's report.md and PNG charts") Path out;

    @Override
    public void run() {
        Map<String, String> settings = new LinkedHashMap<>();
        String source = "flags";
        if (scenario != null) {
            settings.putAll(Scenario.readSettings(scenario));
            source = scenario.toString();
        }
        String[][] flags = {{"nodes", nodes}, {"nodeMtbf", nodeMtbf}, {"failures", failures}, {"checkpointCost", checkpointCost},
            {"restartCost", restartCost}, {"downtime", downtime}, {"migrationCost", migrationCost}, {"policy", policy},
            {"action", action}, {"period", period}, {"recall", recall}, {"precision", precision}, {"leadTime", leadTime},
            {"horizon", horizon}, {"work", work}, {"replications", replications}, {"seed", seed}};
        java.util.Set<String> fromFlags = new java.util.HashSet<>();
        for (String[] f : flags) {
            if (f[1] != null) {
                settings.put(f[0], f[1]);
                fromFlags.add(f[0]);
            }
        }
        String file = source;
        java.util.function.UnaryOperator<String> label = key -> fromFlags.contains(key)
                ? "--" + key.replaceAll("([A-Z])", "-$1").toLowerCase(java.util.Locale.ROOT) : file + ": " + key;
        PrintWriter pw = spec.commandLine().getOut();
        if (sweep == null) {
            if (out != null) {
                throw HpcvirtException.invalid("--out is only used with --sweep");
            }
            Summary s = Simulator.run(Scenario.of(settings, label));
            pw.print(json ? FtIntervalCommand.Json.write(SimReport.toMap(s)) + System.lineSeparator() : SimReport.text(s));
        } else {
            if (out == null) {
                throw HpcvirtException.invalid("--sweep needs --out DIR for the report");
            }
            Map.Entry<String, List<String>> sw = Sweep.parse(sweep);
            List<Sweep.Point> points = Sweep.run(settings, source, sw.getKey(), sw.getValue());
            Path report = Sweep.write(out, sw.getKey(), points, "hpcvirt " + String.join(" ", spec.commandLine().getParseResult().originalArgs()));
            if (json) {
                pw.println(FtIntervalCommand.Json.write(points.stream().map(p -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put(sw.getKey(), p.value());
                    m.putAll(SimReport.toMap(p.summary()));
                    return m;
                }).toList()));
            } else {
                for (Sweep.Point p : points) {
                    pw.printf(java.util.Locale.ROOT, "%s=%s: waste %.4f [%.4f, %.4f]%n", sw.getKey(), p.value(),
                            p.summary().waste().mean(), p.summary().waste().low(), p.summary().waste().high());
                }
                pw.println("report: " + report);
            }
        }
        pw.flush();
    }
}
