package org.hpcvirt.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import org.hpcvirt.api.Durations;
import org.hpcvirt.ft.AdminDefaults;
import org.hpcvirt.ft.CenterRules;
import org.hpcvirt.ft.IntervalInputs;
import org.hpcvirt.ft.MergedPolicy;
import org.hpcvirt.ft.PolicyMerge;
import org.hpcvirt.ft.PredictorQuality;
import org.hpcvirt.ft.ProactiveAction;
import org.hpcvirt.ft.ProfileFtSection;
import org.hpcvirt.ft.StrictYaml;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code hpcvirt ft policy explain PROFILE}: the merged policy and where each value came from. */
@Command(name = "explain", description = "Show the merged fault-tolerance policy of a profile and where each value came from.")
final class FtPolicyExplainCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "PROFILE", description = "VM profile YAML (only its ft: section is read)")
    Path profile;
    @Option(names = "--center", description = "center rules YAML")
    Path center;
    @Option(names = "--admin", description = "administrator defaults YAML")
    Path admin;
    @Option(names = "--mtbf", description = "also resolve the period for this platform MTBF, e.g. 24h")
    String mtbf;
    @Option(names = "--checkpoint-cost", defaultValue = "60s", description = "checkpoint cost for --mtbf (default ${DEFAULT-VALUE})")
    String checkpointCost;

    @Override
    public void run() {
        CenterRules c = center == null ? CenterRules.NONE : StrictYaml.read(center, CenterRules.class);
        AdminDefaults a = admin == null ? AdminDefaults.NONE : StrictYaml.read(admin, AdminDefaults.class);
        MergedPolicy m = PolicyMerge.merge(c, a, ProfileFtSection.read(profile));
        PrintWriter out = spec.commandLine().getOut();
        String fmt = "%-10s %-10s %s%n";
        out.printf(Locale.ROOT, fmt, "setting", "value", "from");
        out.printf(Locale.ROOT, fmt, "jobClass", m.jobClass().value() == null ? "-" : m.jobClass().value(), m.jobClass().origin());
        out.printf(Locale.ROOT, fmt, "policy", m.policy().value().id(), m.policy().origin());
        out.printf(Locale.ROOT, fmt, "period", m.period().value(), m.period().origin());
        out.printf(Locale.ROOT, fmt, "action", m.action().value().name().toLowerCase(Locale.ROOT), m.action().origin());
        out.printf(Locale.ROOT, fmt, "minPeriod", m.minPeriod().value() == null ? "-" : Durations.format(m.minPeriod().value()),
                m.minPeriod().origin());
        out.printf(Locale.ROOT, fmt, "maxPeriod", m.maxPeriod().value() == null ? "-" : Durations.format(m.maxPeriod().value()),
                m.maxPeriod().origin());
        if (mtbf != null) {
            IntervalInputs in = new IntervalInputs(FtIntervalCommand.sec(mtbf, "--mtbf"),
                    FtIntervalCommand.sec(checkpointCost, "--checkpoint-cost"), 0, 0);
            MergedPolicy.Resolved r = m.resolvePeriod(in, PredictorQuality.NONE, 0);
            out.printf(Locale.ROOT, "resolved period for MTBF %s, checkpoint %s: %s (%s)%n", mtbf, checkpointCost,
                    Durations.format(java.time.Duration.ofNanos(Math.round(r.seconds() * 1e9))), r.note());
        }
        if (m.action().value() == ProactiveAction.PAUSE) {
            out.println("note: pause to storage costs a checkpoint plus a restart per trusted prediction");
        }
        out.flush();
    }
}
