package org.hpcvirt.slurm;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Operation;
import org.hpcvirt.daemon.DaemonClient;
import org.hpcvirt.profile.HostLimits;
import org.hpcvirt.vm.NodeLayout;
import org.hpcvirt.vse.VseLoader;

/**
 * Runs a node's Slurm Prolog or Epilog ({@link VseDeployer}) inside the node daemon, from the
 * environment slurmd gave the hook script ({@link Operation.SlurmHook}): the script hands it over
 * with {@code jq} and {@code curl}, so a job's start pays for no JVM start-up and no cold class
 * loading (docs/slurm.md). The deployer talks to the daemon through its own Unix socket, as the
 * CLI hook does. Only {@code SLURM_*}, {@code SLURMD_*}, {@code SPANK_*} and {@code HPCVIRT_*}
 * variables are looked at; Slurm's commands run with the hook's {@code SLURM_CONF}.
 * Stateless; each call blocks its request thread until the hook is done (a Prolog: until the
 * job's VMs sent their first heartbeats).
 */
public final class SlurmHooks {
    private SlurmHooks() {
    }

    /**
     * Runs {@code op}'s hook on the node of {@code layout}.
     *
     * @throws HpcvirtException INVALID_INPUT for a hook other than prolog and epilog, or an environment without a job
     */
    public static HookResult run(Operation.SlurmHook op, NodeLayout layout) {
        String hook = op.hook();
        if (!"prolog".equals(hook) && !"epilog".equals(hook)) {
            throw HpcvirtException.invalid("field 'hook': '" + hook + "' is not prolog or epilog");
        }
        Map<String, String> env = relevant(op.environment());
        SlurmJob job = SlurmJob.fromEnvironment(env);
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        PrintStream log = new PrintStream(buffer, true, StandardCharsets.UTF_8);
        Map<String, String> slurmEnv = env.containsKey("SLURM_CONF") ? Map.of("SLURM_CONF", env.get("SLURM_CONF")) : Map.of();
        VseDeployer.Outcome o;
        try (DaemonClient daemon = DaemonClient.connect(layout)) {
            VseDeployer d = new VseDeployer(daemon, layout.home(), SlurmCommands.withEnvironment(slurmEnv), HostLimits.detect(), log,
                    CpuMap.parse(env.get(CpuMap.ENV)));
            if ("prolog".equals(hook)) {
                String policy = env.get(VseLoader.POLICY_ENV);
                o = d.prolog(job, policy == null || policy.isBlank() ? null : Path.of(policy), restartCount(env.get("SLURM_JOB_RESTART_COUNT")));
            } else {
                o = d.epilog(job);
            }
        }
        log.flush();
        return new HookResult(o.exitCode(), o.summary(), buffer.toString(StandardCharsets.UTF_8).lines().toList());
    }

    /** Slurm's restart count ({@code SLURM_JOB_RESTART_COUNT}; absent or not a number: 0, a first run). */
    static int restartCount(String text) {
        try {
            return text == null ? 0 : Math.max(0, Integer.parseInt(text.strip()));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** The variables a hook looks at, of the environment {@code all} (null: none). */
    public static Map<String, String> relevant(Map<String, String> all) {
        Map<String, String> out = new TreeMap<>();
        if (all != null) {
            all.forEach((k, v) -> {
                if (k != null && v != null && k.matches("(SLURM|SLURMD|SPANK|HPCVIRT)_[A-Za-z0-9_]*")) {
                    out.put(k, v);
                }
            });
        }
        return out;
    }
}
