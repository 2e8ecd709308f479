package org.hpcvirt.enclave.campaign;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Json;

/** Writes a pair campaign's {@code results.json} and {@code report.md} into a directory. Stateless; thread-safe. */
public final class PairCampaignReport {
    private PairCampaignReport() {
    }

    /** Writes both files into {@code dir} (created). */
    public static void write(PairCampaignResult result, Path dir) {
        try {
            Files.createDirectories(dir);
            Json.mapper().writerWithDefaultPrettyPrinter().writeValue(dir.resolve("results.json").toFile(), result);
            Files.writeString(dir.resolve("report.md"), markdown(result));
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot write the report into " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The report: what the consumer saw, counted per policy and fault, then every run. */
    public static String markdown(PairCampaignResult r) {
        StringBuilder b = new StringBuilder();
        b.append("# Pair campaign ").append(r.name()).append("\n\n");
        b.append(String.format(java.util.Locale.ROOT, "Started %s, %.1f s; link %s (%d slots of 64 bytes), %d messages per run; host %s.%n%n",
                r.started(), r.millis() / 1000.0, r.linkBytes() >= (1L << 20) ? (r.linkBytes() >> 20) + " MiB" : (r.linkBytes() >> 10) + " KiB", r.slots(), r.messages(), r.host()));
        b.append("What the consumer saw (runs):\n\n");
        b.append("| policy | fault | runs |");
        for (ConsumerOutcome o : ConsumerOutcome.values()) {
            b.append(' ').append(o.id()).append(" |");
        }
        b.append("\n|---|---|---|");
        b.append("---|".repeat(ConsumerOutcome.values().length)).append('\n');
        for (Map.Entry<String, Map<String, Map<String, Integer>>> pol : r.counts().entrySet()) {
            for (Map.Entry<String, Map<String, Integer>> f : pol.getValue().entrySet()) {
                int runs = f.getValue().values().stream().mapToInt(Integer::intValue).sum();
                b.append("| ").append(pol.getKey()).append(" | ").append(f.getKey()).append(" | ").append(runs).append(" |");
                for (ConsumerOutcome o : ConsumerOutcome.values()) {
                    b.append(' ').append(f.getValue().getOrDefault(o.id(), 0)).append(" |");
                }
                b.append('\n');
            }
        }
        b.append("\nRuns:\n\n");
        for (PairRun run : r.runs()) {
            b.append(String.format(java.util.Locale.ROOT, "- %s %s %d: **%s** (%.1f s) consumer %s, exit %d: `%s`%n", run.policy(), run.fault(),
                    run.run(), run.outcome(), run.millis() / 1000.0, run.consumerState(), run.consumerExit(), run.consumerLine()));
            for (PairRun.Flip f : run.flips()) {
                b.append(String.format("  - flip offset %d bit %d (slot %d, %s)%s%n", f.offset(), f.bit(), f.slot(), f.field(),
                        f.queued() ? ", a queued message" : ", no queued message"));
            }
            for (String d : run.decisions()) {
                b.append("  - ").append(d).append('\n');
            }
        }
        return b.toString();
    }
}
