package org.hpcvirt.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.backend.BackendRegistry;
import org.hpcvirt.inject.campaign.CampaignReport;
import org.hpcvirt.inject.campaign.CampaignResult;
import org.hpcvirt.inject.campaign.CampaignRunner;
import org.hpcvirt.inject.campaign.CampaignSpec;

/**
 * Injections per hour of a campaign with snapshot reset between runs, side by side with a fresh boot per
 * run: the same fault, runs and parallelism, no bystanders. Throughput counts the run phase only (after the
 * one boot and snapshot of the cell), and also the whole wall time. Not thread-safe.
 */
public final class InjectBenchmark {
    /**
     * One side of the comparison.
     *
     * @param reset        snapshot or reboot
     * @param runs         runs done
     * @param broken       runs that broke
     * @param detected     runs whose failure was detected
     * @param runPhaseMs   wall time of the runs
     * @param wallMs       wall time including boot and snapshot
     * @param perHour      injections per hour over the run phase
     * @param perHourWall  injections per hour over the whole wall time
     * @param medianRunMs  median duration of one run (reset + inject + detect)
     */
    public record Side(String reset, int runs, int broken, int detected, long runPhaseMs, long wallMs, double perHour,
                       double perHourWall, long medianRunMs) {
    }

    private final BackendRegistry registry;
    private final Path images;

    /** A benchmark drawing backends from {@code registry} and the campaign's image from {@code images}. */
    public InjectBenchmark(BackendRegistry registry, Path images) {
        this.registry = registry;
        this.images = images;
    }

    /** Runs {@code spec} once per reset mode and prints the comparison to {@code out}. */
    public List<Side> run(CampaignSpec spec, PrintWriter out) {
        Side snap = side(spec.with(spec.runs(), spec.parallelism(), 0, CampaignSpec.Reset.SNAPSHOT), out);
        Side boot = side(spec.with(spec.runs(), spec.parallelism(), 0, CampaignSpec.Reset.REBOOT), out);
        out.printf(Locale.ROOT, "%-9s %5s %7s %9s %12s %14s %19s %14s%n", "reset", "runs", "broken", "detected",
                "run phase s", "injections/h", "injections/h (wall)", "median run ms");
        for (Side s : List.of(snap, boot)) {
            out.printf(Locale.ROOT, "%-9s %5d %7d %9d %12.1f %14.0f %19.0f %14d%n", s.reset(), s.runs(), s.broken(), s.detected(),
                    s.runPhaseMs() / 1000.0, s.perHour(), s.perHourWall(), s.medianRunMs());
        }
        out.printf(Locale.ROOT, "snapshot reset / reboot: %.1fx injections per hour (parallelism %d, fault %s)%n",
                snap.perHour() / Math.max(1e-9, boot.perHour()), spec.parallelism(), spec.faults().get(0).fault().id());
        out.flush();
        return List.of(snap, boot);
    }

    private Side side(CampaignSpec spec, PrintWriter out) {
        Path work;
        try {
            work = Files.createTempDirectory(Path.of("/tmp"), "hvb");
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot create a work directory", e);
        }
        out.println("running " + spec.runs() + " × " + spec.faults().get(0).fault().id() + " with " + spec.reset().name().toLowerCase()
                + " reset, parallelism " + spec.parallelism() + " …");
        out.flush();
        CampaignResult r;
        try {
            r = new CampaignRunner(registry, images, work, new PrintStream(OutputStream.nullOutputStream()), null).run(spec);
        } finally {
            try (Stream<Path> s = Files.walk(work)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // temporary directory
            }
        }
        int n = r.records().size();
        int broken = (int) r.records().stream().filter(x -> x.outcome().equals("broken")).count();
        int detected = (int) r.records().stream().filter(x -> x.detected()).count();
        long[] durations = r.records().stream().mapToLong(x -> x.durationMs()).sorted().toArray();
        double perHour = r.runPhaseMs() == 0 ? 0 : (n - broken) * 3_600_000.0 / r.runPhaseMs();
        double perHourWall = r.wallMs() == 0 ? 0 : (n - broken) * 3_600_000.0 / r.wallMs();
        return new Side(spec.reset().name().toLowerCase(), n, broken, detected, r.runPhaseMs(), r.wallMs(), perHour, perHourWall,
                CampaignReport.percentile(durations, 50));
    }
}
