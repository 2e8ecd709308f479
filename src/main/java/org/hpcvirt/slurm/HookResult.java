package org.hpcvirt.slurm;

import java.util.List;

/**
 * What a Slurm node hook run by the daemon ({@link org.hpcvirt.api.Operation.SlurmHook}) did:
 * the exit status the hook script gives slurmd (non-zero only for a node fault, which drains the
 * node), its one-line summary and the lines it logged on the way. Immutable.
 *
 * @param exitCode the hook's exit status
 * @param summary  one line, e.g. {@code job 7: 1 VM(s) running on hvs-n1 (cold boot): …}
 * @param log      further lines (orphans destroyed, commands that failed), oldest first
 */
public record HookResult(int exitCode, String summary, List<String> log) {
    public HookResult {
        log = log == null ? List.of() : List.copyOf(log);
    }
}
