package org.hpcvirt.slurm;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.hpcvirt.api.HpcvirtException;

/**
 * A Slurm job as its Prolog, Epilog or script sees it through the environment (Slurm 22.05, see
 * docs/slurm.md): the Prolog and Epilog get {@code SLURM_NODELIST}, {@code SLURMD_NODENAME} and the
 * plugin's {@code SPANK_HPCVIRT_VSE}; the job gets {@code SLURM_JOB_NODELIST}. Immutable.
 *
 * @param id        SLURM_JOB_ID
 * @param user      SLURM_JOB_USER (null inside a job, where only the caller's own identity counts)
 * @param node      this node (SLURMD_NODENAME), or null
 * @param nodes     the job's nodes, expanded
 * @param partition SLURM_JOB_PARTITION, or null
 * @param vse       SPANK_HPCVIRT_VSE, or null: the job has no VSE
 */
public record SlurmJob(String id, String user, String node, List<String> nodes, String partition, Path vse) {
    public SlurmJob {
        nodes = List.copyOf(nodes);
    }

    /** Reads a job from an environment ({@code System.getenv()} in the hooks and the job). */
    public static SlurmJob fromEnvironment(Map<String, String> env) {
        String id = env.get("SLURM_JOB_ID");
        if (id == null || !id.matches("[0-9]+")) {
            throw HpcvirtException.invalid("not inside a Slurm job: SLURM_JOB_ID is " + (id == null ? "not set" : "'" + id + "'"));
        }
        String list = env.getOrDefault("SLURM_JOB_NODELIST", env.get("SLURM_NODELIST"));
        String vse = env.get("SPANK_HPCVIRT_VSE");
        String node = env.get("SLURMD_NODENAME");
        return new SlurmJob(id, env.get("SLURM_JOB_USER"), node == null || node.isBlank() ? null : node, HostList.expand(list),
                env.get("SLURM_JOB_PARTITION"), vse == null || vse.isBlank() ? null : Path.of(vse));
    }

    /** The prefix of every VM name of this job: {@code j<ID>-}. */
    public static String vmPrefix(String jobId) {
        return "j" + jobId + "-";
    }

    /** The name of VM {@code index} of job {@code jobId} on {@code node}: {@code j<ID>-<node>-<index>}, a valid VM name. */
    public static String vmName(String jobId, String node, int index) {
        String n = node.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-");
        String name = vmPrefix(jobId) + n + "-" + index;
        if (name.length() > 40) {
            // VM names are at most 40 characters; keep the job id and the index, shorten the node
            name = vmPrefix(jobId) + n.substring(0, Math.max(1, 40 - vmPrefix(jobId).length() - String.valueOf(index).length() - 1))
                    + "-" + index;
        }
        return name;
    }

    /** The job id of a VM named by {@link #vmName}, or null. */
    public static String jobOf(String vmName) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("j([0-9]+)-.+-[0-9]+").matcher(vmName);
        return m.matches() ? m.group(1) : null;
    }
}
