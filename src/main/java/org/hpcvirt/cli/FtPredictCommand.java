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
@Command(name = "predict", description = "Announce a predicted node failure to the daemon's fault-tolerance executor.")
public final class FtPredictCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NODE", description = "Node expected to fail (as the daemon names it: $HPCVIRT_NODE or host name).")
    String node;

    @Option(names = "--in", required = true, description = "Lead time until the failure, e.g. 30s, 5m.")
    String in;

    @Option(names = "--confidence", defaultValue = "1.0", description = "Predictor confidence, 0..1 (default ${DEFAULT-VALUE}).")
    double confidence;

    @Override
    public Integer call() {
        Duration lead = Durations.parse(in, "--in");
        if (!(confidence >= 0 && confidence <= 1)) {
            throw HpcvirtException.invalid("--confidence must be between 0 and 1, not " + confidence);
        }
        try (DaemonClient c = VmCommand.client()) {
            c.predict(node, lead, confidence);
        }
        spec.commandLine().getOut().printf("prediction sent: node %s fails in %s (confidence %.2f)%n", node, Durations.format(lead), confidence);
        return 0;
    }
}
