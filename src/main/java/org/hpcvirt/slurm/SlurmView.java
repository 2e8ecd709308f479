package org.hpcvirt.slurm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/**
 * What Slurm says about the cluster at one moment: every node with its state and reason
 * ({@code sinfo -h -N -o '%N|%T|%E'}) and every job that holds nodes, with its state and nodes
 * ({@code squeue -h -o '%A|%T|%N'} over the states in which a job's VMs may exist: from the Prolog to
 * the end of the Epilog). Immutable.
 *
 * @param nodes node → its state
 * @param jobs  job id → the job (only jobs that hold nodes)
 */
public record SlurmView(Map<String, NodeState> nodes, Map<String, Job> jobs) {
    /** Job states in which a job holds its nodes (and its VMs may exist). */
    static final String ACTIVE = "CONFIGURING,RUNNING,COMPLETING,SUSPENDED,RESIZING,SIGNALING,STAGE_OUT";

    public SlurmView {
        nodes = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(nodes));
        jobs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(jobs));
    }

    /**
     * A node's state as {@code sinfo %T} prints it ({@code idle}, {@code allocated}, {@code mixed},
     * {@code draining}, {@code drained}, {@code down}…) and its reason ({@code none} when it has none).
     */
    public record NodeState(String state, String reason) {
        /** True if Slurm will not give the node new work: drained, draining, down, failing, or not responding. */
        public boolean unavailable() {
            String s = state.toLowerCase(Locale.ROOT);
            return s.contains("drain") || s.contains("down") || s.contains("fail") || s.endsWith("*") || s.contains("maint");
        }

        /** True if Slurm considers the node gone: down or not responding ({@code down*}, {@code idle*}…). */
        public boolean down() {
            String s = state.toLowerCase(Locale.ROOT);
            return s.contains("down") || s.endsWith("*");
        }

        /** True if the node is drained or draining. */
        public boolean drained() {
            return state.toLowerCase(Locale.ROOT).contains("drain");
        }

        /** The state with its reason, e.g. {@code drained (hpcvirt: predicted failure …)}. */
        public String describe() {
            return reason == null || reason.isBlank() || reason.equals("none") ? state : state + " (" + reason + ")";
        }
    }

    /**
     * A job that holds nodes.
     *
     * @param id    its id
     * @param state its state ({@code RUNNING}…)
     * @param nodes its allocation, expanded, in Slurm's order
     */
    public record Job(String id, String state, List<String> nodes) {
        public Job {
            nodes = List.copyOf(nodes);
        }
    }

    /** Asks Slurm now. @throws HpcvirtException OPERATION_FAILED when sinfo or squeue fails */
    public static SlurmView ask(SlurmCommands slurm) {
        SlurmCommands.Result sinfo = slurm.run(List.of("sinfo", "-h", "-N", "-o", "%N|%T|%E"));
        if (sinfo.exitCode() != 0) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "sinfo failed: " + sinfo.output().strip());
        }
        SlurmCommands.Result squeue = slurm.run(List.of("squeue", "-h", "--states=" + ACTIVE, "-o", "%A|%T|%N"));
        if (squeue.exitCode() != 0) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "squeue failed: " + squeue.output().strip());
        }
        return parse(sinfo.output(), squeue.output());
    }

    /** The view from the outputs of {@code sinfo -h -N -o '%N|%T|%E'} and {@code squeue -h -o '%A|%T|%N'}. */
    static SlurmView parse(String sinfo, String squeue) {
        Map<String, NodeState> nodes = new LinkedHashMap<>();
        for (String line : sinfo.lines().map(String::strip).filter(l -> !l.isEmpty()).toList()) {
            String[] f = line.split("\\|", 3);
            if (f.length >= 2) {
                // a node in two partitions appears twice: the same state
                nodes.put(f[0], new NodeState(f[1], f.length > 2 ? f[2] : "none"));
            }
        }
        Map<String, Job> jobs = new LinkedHashMap<>();
        for (String line : squeue.lines().map(String::strip).filter(l -> !l.isEmpty()).toList()) {
            String[] f = line.split("\\|", 3);
            if (f.length == 3 && f[0].matches("[0-9]+")) {
                jobs.put(f[0], new Job(f[0], f[1], HostList.expand(f[2])));
            }
        }
        return new SlurmView(nodes, jobs);
    }

    /** The jobs that hold {@code node}, in id order. */
    public List<Job> jobsOn(String node) {
        List<Job> out = new ArrayList<>();
        for (Job j : jobs.values()) {
            if (j.nodes().contains(node)) {
                out.add(j);
            }
        }
        return out;
    }
}
