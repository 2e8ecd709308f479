package org.hpcvirt.enclave.campaign;

import java.util.List;

/**
 * One injection into a running pair and what the consumer saw.
 *
 * @param policy       the link's error policy
 * @param fault        kerncrash or bitflip
 * @param run          1-based run number within policy × fault
 * @param outcome      the consumer's outcome id ({@link ConsumerOutcome#id()})
 * @param consumerLine the consumer program's result line, or what happened to it
 * @param consumerExit its exit code, or -1 when it did not return
 * @param consumerState the consumer enclave's state after the run
 * @param decisions    the FT_DECISION messages of both enclaves during the run
 * @param flips        the bits flipped (bitflip)
 * @param millis       the run's wall time
 */
public record PairRun(String policy, String fault, int run, String outcome, String consumerLine, int consumerExit, String consumerState,
                      List<String> decisions, List<Flip> flips, long millis) {

    /**
     * One bit flipped in the segment file.
     *
     * @param offset  byte offset in the segment
     * @param bit     bit 0..7 of that byte
     * @param field   the message field hit: seq, sum or payload
     * @param slot    the ring slot
     * @param queued  true when the slot held a message the consumer had not read yet, before and after the flip
     *                (so the consumer must read it corrupted)
     */
    public record Flip(long offset, int bit, String field, long slot, boolean queued) {
    }
}
