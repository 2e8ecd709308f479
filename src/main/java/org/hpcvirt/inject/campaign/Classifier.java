package org.hpcvirt.inject.campaign;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hpcvirt.inject.Fault;
import org.hpcvirt.inject.Injection;

/**
 * Turns what was injected and what the observers saw into a labelled run. Pure; thread-safe.
 *
 * <p>Order of judgement: the VMM gone → crash of the VMM; a panic or a kernel failure line on the console
 * → crash of the guest; heartbeat loss → hang of the guest; otherwise the guest survived and the process
 * decides: killed by a signal → crash (or hang, when the agent had to kill a busy loop at its deadline);
 * a workload result is compared with the golden one (equal → benign, different → SDC); no result →
 * hang of the process. SDC is by definition not detected.
 */
public final class Classifier {
    private Classifier() {
    }

    /**
     * The label of one run.
     *
     * @param outcome    the label
     * @param scope      none, process, guest or vmm
     * @param detectedBy detectors that fired, earliest first
     * @param latencyMs  from the fault to the first detection, or -1
     */
    public record Verdict(Outcome outcome, String scope, List<String> detectedBy, long latencyMs) {
        /** True if anything noticed the failure. */
        public boolean detected() {
            return !detectedBy.isEmpty();
        }
    }

    /**
     * Labels a run.
     *
     * @param injection what was injected (null if the injection itself failed because the guest died)
     * @param seen      the observers' detections
     * @param golden    the golden workload result for soft errors, or null
     */
    public static Verdict classify(Fault fault, Injection injection, Instant injectedAt, RunObserver.Detections seen,
                                   String golden) {
        Map<String, Instant> fired = new LinkedHashMap<>();
        put(fired, "vmm-exit", seen.vmmExit());
        put(fired, "guest-panicked", seen.panic());
        put(fired, "console", seen.console());
        put(fired, "heartbeat-loss", seen.heartbeatLoss());
        if (seen.vmmExit() != null) {
            return verdict(Outcome.CRASH, "vmm", fired, injectedAt);
        }
        if (seen.panic() != null || seen.console() != null) {
            return verdict(Outcome.CRASH, "guest", fired, injectedAt);
        }
        if (seen.heartbeatLoss() != null) {
            return verdict(Outcome.HANG, "guest", fired, injectedAt);
        }
        if (injection == null) {
            return new Verdict(Outcome.HANG, "guest", List.of(), -1);
        }
        int rc = injection.processExit();
        if (rc >= 128) {
            put(fired, "exit-status", injection.processEnd());
            boolean killedAtDeadline = fault == Fault.BUSY_LOOP && rc == 137;
            return verdict(killedAtDeadline ? Outcome.HANG : Outcome.CRASH, "process", fired, injectedAt);
        }
        if (fault.isSoftError()) {
            if (injection.workload() == null) {
                return new Verdict(Outcome.HANG, "process", List.of(), -1);
            }
            return new Verdict(injection.workload().equals(golden) ? Outcome.BENIGN : Outcome.SDC, "none", List.of(), -1);
        }
        return new Verdict(Outcome.BENIGN, "none", List.of(), -1);
    }

    private static void put(Map<String, Instant> m, String k, Instant v) {
        if (v != null) {
            m.put(k, v);
        }
    }

    private static Verdict verdict(Outcome o, String scope, Map<String, Instant> fired, Instant at) {
        List<Map.Entry<String, Instant>> list = new ArrayList<>(fired.entrySet());
        list.sort(Map.Entry.comparingByValue(Comparator.naturalOrder()));
        long latency = list.isEmpty() ? -1 : Math.max(0, Duration.between(at, list.get(0).getValue()).toMillis());
        return new Verdict(o, scope, list.stream().map(Map.Entry::getKey).toList(), latency);
    }
}
