package org.hpcvirt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.hpcvirt.api.Durations;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.ft.CheckpointIntervals;
import org.hpcvirt.ft.IntervalInputs;
import org.hpcvirt.ft.PredictorQuality;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hpcvirt ft interval}: checkpoint periods by Young, Daly, the exact optimum and with prediction. */
@Command(name = "interval", description = "Print checkpoint periods (Young, Daly, exact, with prediction) and their expected waste.")
final class FtIntervalCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--mtbf", required = true, description = "MTBF of the whole job/platform, e.g. 24h")
    String mtbf;
    @Option(names = "--checkpoint-cost", required = true, description = "time to take a checkpoint, e.g. 60s")
    String checkpointCost;
    @Option(names = "--restart-cost", defaultValue = "0s", description = "time to restart from a checkpoint (default ${DEFAULT-VALUE})")
    String restartCost;
    @Option(names = "--downtime", defaultValue = "0s", description = "time before a restart can begin (default ${DEFAULT-VALUE})")
    String downtime;
    @Option(names = "--recall", defaultValue = "0", description = "predictor recall in [0,1] (default ${DEFAULT-VALUE})")
    double recall;
    @Option(names = "--precision", defaultValue = "1", description = "predictor precision in (0,1] (default ${DEFAULT-VALUE})")
    double precision;
    @Option(names = "--proactive-cost", defaultValue = "0s", description = "time of one migration or pause to storage (default ${DEFAULT-VALUE})")
    String proactiveCost;
    @Option(names = "--lead-time", defaultValue = "0s", description = "how long before a failure it is predicted (default ${DEFAULT-VALUE})")
    String leadTime;
    @Option(names = "--json", description = "print JSON")
    boolean json;

    @Override
    public void run() {
        IntervalInputs in = new IntervalInputs(sec(mtbf, "--mtbf"), sec(checkpointCost, "--checkpoint-cost"),
                sec(restartCost, "--restart-cost"), sec(downtime, "--downtime"));
        PredictorQuality pred;
        try {
            pred = new PredictorQuality(recall, precision, sec(leadTime, "--lead-time"));
        } catch (HpcvirtException e) {
            throw HpcvirtException.invalid("--" + e.getMessage());
        }
        double cp = sec(proactiveCost, "--proactive-cost");
        List<CheckpointIntervals.IntervalChoice> rows = CheckpointIntervals.compare(in, pred, cp);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("mtbfSeconds", in.mtbf());
            doc.put("checkpointCostSeconds", in.checkpointCost());
            doc.put("restartCostSeconds", in.restartCost());
            doc.put("downtimeSeconds", in.downtime());
            doc.put("recall", pred.recall());
            doc.put("precision", pred.precision());
            doc.put("leadTimeSeconds", pred.leadTime());
            doc.put("proactiveCostSeconds", cp);
            List<Map<String, Object>> periods = new ArrayList<>();
            for (CheckpointIntervals.IntervalChoice c : rows) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("method", c.method());
                m.put("periodSeconds", Double.isInfinite(c.period()) ? null : c.period());
                m.put("waste", c.waste());
                m.put("note", c.note());
                periods.add(m);
            }
            doc.put("periods", periods);
            out.println(Json.write(doc));
        } else {
            out.printf(Locale.ROOT, "MTBF %s, checkpoint %s, restart %s, downtime %s%n", mtbf, checkpointCost, restartCost, downtime);
            if (recall > 0) {
                out.printf(Locale.ROOT, "predictor: recall %.2f, precision %.2f, lead time %s, proactive cost %s%n",
                        recall, precision, leadTime, proactiveCost);
            }
            out.printf(Locale.ROOT, "%-16s %10s %12s %8s  %s%n", "method", "period", "seconds", "waste", "note");
            for (CheckpointIntervals.IntervalChoice c : rows) {
                String p = Double.isInfinite(c.period()) ? "never" : Durations.format(Duration.ofNanos(Math.round(c.period() * 1e9)));
                out.printf(Locale.ROOT, "%-16s %10s %12.1f %7.3f%%  %s%n", c.method(), p, c.period(), 100 * c.waste(), c.note());
            }
        }
        out.flush();
    }

    static double sec(String text, String what) {
        return Durations.seconds(Durations.parse(text, what));
    }

    /** JSON printing shared by the commands of this package. */
    static final class Json {
        private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

        private Json() {
        }

        static String write(Object doc) {
            try {
                return MAPPER.writeValueAsString(doc);
            } catch (Exception e) {
                throw new HpcvirtException(ErrorCode.INTERNAL, "cannot write JSON", e);
            }
        }
    }
}
