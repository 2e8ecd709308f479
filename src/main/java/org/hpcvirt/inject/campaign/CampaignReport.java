package org.hpcvirt.inject.campaign;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Json;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;

/**
 * Writes a campaign's {@code results.json}, {@code results.csv}, {@code report.md} and {@code latency.png}
 * into a directory. Stateless; thread-safe.
 */
public final class CampaignReport {
    private CampaignReport() {
    }

    /**
     * One row of the report: a zone × backend × isolation × fault cell.
     *
     * @param zone          zone number
     * @param backend       backend
     * @param isolation     isolation level
     * @param fault         fault id
     * @param runs          runs
     * @param outcomes      outcome → count
     * @param detected      runs whose failure was detected
     * @param failures      runs that crashed or hung (the ones that should be detected)
     * @param medianMs      median detection latency of detected runs, or -1
     * @param p95Ms         95th percentile, or -1
     * @param hostHealthy   runs after which the host was healthy
     * @param bystandersOk  runs during which every bystander was unaffected
     * @param expected      expected effect
     * @param verdict       containment verdict
     */
    public record Row(int zone, String backend, String isolation, String fault, int runs, Map<String, Integer> outcomes,
                      int detected, int failures, long medianMs, long p95Ms, int hostHealthy, int bystandersOk,
                      String expected, String verdict) {
    }

    /** Groups records into report rows, in record order. */
    public static List<Row> rows(CampaignResult result) {
        Map<String, List<RunRecord>> cells = new LinkedHashMap<>();
        for (RunRecord r : result.records()) {
            cells.computeIfAbsent(r.zone() + "|" + r.backend() + "|" + r.isolation() + "|" + r.fault(), k -> new ArrayList<>()).add(r);
        }
        List<Row> rows = new ArrayList<>();
        for (List<RunRecord> rs : cells.values()) {
            RunRecord first = rs.get(0);
            Map<String, Integer> counts = new LinkedHashMap<>();
            for (Outcome o : Outcome.values()) {
                int n = (int) rs.stream().filter(r -> r.outcome().equals(o.id())).count();
                if (n > 0) {
                    counts.put(o.id(), n);
                }
            }
            List<RunRecord> failures = rs.stream().filter(r -> r.outcome().equals("crash") || r.outcome().equals("hang")).toList();
            long[] lat = rs.stream().filter(RunRecord::detected).mapToLong(RunRecord::detectionLatencyMs).sorted().toArray();
            int healthy = (int) rs.stream().filter(RunRecord::hostHealthy).count();
            int byOk = (int) rs.stream().filter(RunRecord::bystandersUnaffected).count();
            int broken = counts.getOrDefault("broken", 0);
            String verdict;
            if (broken == rs.size()) {
                verdict = "no verdict: every run broken";
            } else if (healthy == rs.size() && byOk == rs.size()) {
                verdict = "contained (limited)" + (first.expectedEffect().equals("limited") ? "" : ", better than expected");
            } else if (healthy == rs.size()) {
                verdict = "NOT contained: bystanders affected (varied)";
            } else {
                verdict = "NOT contained: host unhealthy (global)";
            }
            rows.add(new Row(first.zone(), first.backend(), first.isolation(), first.fault(), rs.size(), counts,
                    (int) failures.stream().filter(RunRecord::detected).count(), failures.size(),
                    percentile(lat, 50), percentile(lat, 95), healthy, byOk, first.expectedEffect(), verdict));
        }
        return rows;
    }

    /** Nearest-rank percentile of sorted values; -1 if empty. */
    public static long percentile(long[] sorted, int p) {
        if (sorted.length == 0) {
            return -1;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, rank - 1)];
    }

    /**
     * Writes all four files into {@code dir} (created if missing).
     *
     * @throws HpcvirtException OPERATION_FAILED if a file cannot be written
     */
    public static void write(CampaignResult result, Path dir) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("results.json"),
                    Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(result) + "\n");
            Files.writeString(dir.resolve("results.csv"), csv(result));
            Files.writeString(dir.resolve("report.md"), markdown(result));
            chart(result, dir.resolve("latency.png"));
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot write the campaign report into " + dir, e);
        }
    }

    static String csv(CampaignResult result) {
        StringBuilder sb = new StringBuilder("campaign,backend,isolation,fault,zone,run,outcome,scope,detected,detectedBy,"
                + "detectionLatencyMs,hostHealthy,bystandersUnaffected,expectedEffect,observedEffect,durationMs,detail\n");
        for (RunRecord r : result.records()) {
            sb.append(String.join(",", List.of(r.campaign(), r.backend(), r.isolation(), r.fault(), Integer.toString(r.zone()),
                    Integer.toString(r.run()), r.outcome(), r.scope(), Boolean.toString(r.detected()),
                    String.join("+", r.detectedBy()), Long.toString(r.detectionLatencyMs()), Boolean.toString(r.hostHealthy()),
                    Boolean.toString(r.bystandersUnaffected()), r.expectedEffect(), r.observedEffect(),
                    Long.toString(r.durationMs()), quote(r.detail())))).append('\n');
        }
        return sb.toString();
    }

    private static String quote(String s) {
        return "\"" + s.replace("\"", "\"\"").replace('\n', ' ') + "\"";
    }

    static String markdown(CampaignResult result) {
        StringBuilder sb = new StringBuilder();
        sb.append("# Campaign ").append(result.campaign()).append("\n\n");
        sb.append("Started ").append(result.startedAt()).append(", ").append(result.records().size()).append(" runs in ")
                .append(String.format(Locale.ROOT, "%.1f", result.wallMs() / 1000.0)).append(" s. Host: ")
                .append(result.host().entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", ")))
                .append(".\n\n");
        sb.append("| zone | backend | isolation | fault | runs | outcomes | detected | latency median / p95 (ms) "
                + "| host healthy | bystanders unaffected | expected | verdict |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Row r : rows(result)) {
            String outcomes = r.outcomes().entrySet().stream().map(e -> e.getValue() + " " + e.getKey()).collect(Collectors.joining(", "));
            sb.append("| E").append(r.zone()).append(" | ").append(r.backend()).append(" | ").append(r.isolation()).append(" | ")
                    .append(r.fault()).append(" | ").append(r.runs()).append(" | ").append(outcomes).append(" | ")
                    .append(r.failures() == 0 ? "n/a" : r.detected() + "/" + r.failures()).append(" | ")
                    .append(r.medianMs() < 0 ? "–" : r.medianMs() + " / " + r.p95Ms()).append(" | ")
                    .append(r.hostHealthy()).append('/').append(r.runs()).append(" | ")
                    .append(r.bystandersOk()).append('/').append(r.runs()).append(" | ")
                    .append(r.expected()).append(" | ").append(r.verdict()).append(" |\n");
        }
        for (CampaignResult.Skipped s : result.skipped()) {
            sb.append("| ").append(s.zone() == 0 ? "all" : "E" + s.zone()).append(" | ").append(s.backend()).append(" | ")
                    .append(s.isolation()).append(" | ").append(s.fault()).append(" | 0 | – | – | – | – | – | – | ")
                    .append(s.reason().replace("|", "/")).append(" |\n");
        }
        if (!result.golden().isEmpty()) {
            sb.append("\nGolden workload results: ").append(result.golden().entrySet().stream()
                    .map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "))).append(".\n");
        }
        sb.append("\nOutcomes: benign (no effect), sdc (wrong result, silent), crash, hang, broken (run not carried out). "
                + "Detected counts crash and hang runs seen by a host-side detector or by the faulting process's exit status. "
                + "Latency is from the fault taking effect to the first detection.\n");
        return sb.toString();
    }

    private static void chart(CampaignResult result, Path png) throws IOException {
        List<Row> rows = rows(result).stream().filter(r -> r.medianMs() >= 0).toList();
        CategoryChart c = new CategoryChartBuilder().width(900).height(480).title("Detection latency: " + result.campaign())
                .xAxisTitle("backend/isolation fault").yAxisTitle("ms").build();
        c.getStyler().setLegendVisible(true);
        List<String> labels = new ArrayList<>();
        List<Long> med = new ArrayList<>();
        List<Long> p95 = new ArrayList<>();
        for (Row r : rows) {
            labels.add(r.backend() + "/" + r.isolation() + " " + r.fault());
            med.add(r.medianMs());
            p95.add(r.p95Ms());
        }
        if (labels.isEmpty()) {
            labels.add("no detections");
            med.add(0L);
            p95.add(0L);
        }
        c.addSeries("median", labels, med);
        c.addSeries("p95", labels, p95);
        BitmapEncoder.saveBitmap(c, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
