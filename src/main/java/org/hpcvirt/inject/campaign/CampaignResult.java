package org.hpcvirt.inject.campaign;

import java.util.List;
import java.util.Map;

/**
 * Everything a campaign produced: one record per run (broken runs included) and the cells that were not
 * run, with the reason.
 *
 * @param campaign   campaign name
 * @param startedAt  ISO-8601 start time
 * @param wallMs     total wall time
 * @param runPhaseMs wall time of the run phases only (after boot, golden run and snapshot of each cell)
 * @param records    one per run
 * @param skipped    cells not run: backend not runnable here, or fault refused
 * @param golden     golden workload result per backend/isolation ("qemu/strict" → hex), for soft errors
 * @param host       facts about the host (cores, kernel, QEMU version per backend)
 */
public record CampaignResult(String campaign, String startedAt, long wallMs, long runPhaseMs, List<RunRecord> records,
                             List<Skipped> skipped, Map<String, String> golden, Map<String, String> host) {
    /**
     * A cell of the campaign that was not run.
     *
     * @param backend   backend name
     * @param isolation isolation level, or "*" for all
     * @param fault     fault id, or "*" for all
     * @param zone      error zone number, or 0 for all
     * @param reason    "not runnable here: …" or "refused: …"
     */
    public record Skipped(String backend, String isolation, String fault, int zone, String reason) {
    }
}
