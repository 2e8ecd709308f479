package org.hpcvirt.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.daemon.Daemon;
import org.hpcvirt.daemon.DaemonClient;
import org.hpcvirt.guest.ImageBuilder;
import org.hpcvirt.inject.campaign.CampaignReport;
import org.hpcvirt.inject.campaign.CampaignResult;
import org.hpcvirt.inject.campaign.CampaignRunner;
import org.hpcvirt.inject.campaign.CampaignSpec;
import org.hpcvirt.vm.NodeLayout;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code hpcvirt campaign run FILE --out DIR}: runs a campaign in-process and writes its report. */
@Command(name = "run", description = "Run a campaign (in-process, through the backends directly) and write results.json, results.csv, report.md, latency.png.")
public final class CampaignRunCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", description = "Campaign YAML file.")
    Path file;

    @Option(names = "--out", required = true, description = "Directory for the report (created).")
    Path outDir;

    @Override
    public Integer call() throws IOException {
        CampaignSpec campaign = CampaignSpec.load(file);
        NodeLayout layout = NodeLayout.fromEnvironment().ensure();
        PrintStream out = System.out;
        new ImageBuilder(layout.images()).build(campaign.image(), false, out);
        boolean daemon = DaemonClient.running(layout);
        Path work = Files.createTempDirectory(Path.of("/tmp"), "hvi");
        CampaignResult result;
        try {
            result = new CampaignRunner(Daemon.defaultBackends(), layout.images(), work, out,
                    daemon ? () -> DaemonClient.running(layout) : null).run(campaign);
        } finally {
            Files.deleteIfExists(work);
        }
        CampaignReport.write(result, outDir);
        out.println();
        out.print(Files.readString(outDir.resolve("report.md")));
        out.println("written: " + outDir.resolve("results.json") + ", results.csv, report.md, latency.png");
        out.flush();
        if (result.records().isEmpty() && !result.skipped().isEmpty()) {
            throw new HpcvirtException(ErrorCode.BACKEND_UNAVAILABLE, "nothing could run: " + result.skipped().get(0).reason());
        }
        return 0;
    }
}
