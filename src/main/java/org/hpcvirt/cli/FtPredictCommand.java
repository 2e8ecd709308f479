package org.hpcvirt.cli;

import java.time.Duration;
import java.util.concurrent.Callable;
import org.hpcvirt.api.Durations;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.daemon.DaemonClient;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code hpcvirt ft predict NODE --in 30s --confidence 0.9}: tell the daemon's executor that a node will fail. */
@Command(name = "predict", description = "Announce a predicted node failure to the daemon's fault-tolerance executor; on a Slurm "
        + "compute node a trusted one also drains the node in Slurm and moves its job VMs (as 'hpcvirt slurm predict', unless --no-slurm).")
public final class FtPredictCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NODE", description = "Node expected to fail (as the daemon names it: $HPCVIRT_NODE or host name).")
    String node;

    @Option(names = "--in", required = true, description = "Lead time until the failure, e.g. 30s, 5m.")
    String in;

    @Option(names = "--confidence", defaultValue = "1.0", description = "Predictor confidence, 0..1 (default ${DEFAULT-VALUE}).")
    double confidence;

    @Option(names = "--no-slurm", description = "On a Slurm compute node: only the fault-tolerance executor, no drain and no evacuation.")
    boolean noSlurm;

    @Override
    public Integer call() {
        Duration lead = Durations.parse(in, "--in");
        if (!(confidence >= 0 && confidence <= 1)) {
            throw HpcvirtException.invalid("--confidence must be between 0 and 1, not " + confidence);
        }
        com.fasterxml.jackson.databind.JsonNode answer;
        try (DaemonClient c = VmCommand.client()) {
            answer = c.predict(node, lead, confidence, !noSlurm);
        }
        java.io.PrintWriter out = spec.commandLine().getOut();
        out.printf("prediction sent: node %s fails in %s (confidence %.2f)%n", node, Durations.format(lead), confidence);
        if (answer != null && answer.hasNonNull("slurm")) {
            out.println("slurm: " + answer.get("slurm").asText());
        }
        out.flush();
        return 0;
    }
}
