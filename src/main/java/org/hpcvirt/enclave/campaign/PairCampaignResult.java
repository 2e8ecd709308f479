package org.hpcvirt.enclave.campaign;

import java.util.List;
import java.util.Map;

/**
 * A finished pair campaign.
 *
 * @param name       campaign name
 * @param started    ISO-8601 start time
 * @param millis     wall time
 * @param linkBytes  the link's size
 * @param slots      ring slots of the link
 * @param messages   messages per run
 * @param runs       every run, in order
 * @param counts     policy → fault → outcome id → runs
 * @param host       host facts (cores, kernel, load)
 */
public record PairCampaignResult(String name, String started, long millis, long linkBytes, long slots, int messages, List<PairRun> runs,
                                 Map<String, Map<String, Map<String, Integer>>> counts, Map<String, String> host) {
}
