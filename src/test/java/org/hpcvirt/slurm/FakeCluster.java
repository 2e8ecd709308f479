package org.hpcvirt.slurm;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.VmState;
import org.hpcvirt.migration.MigrationReport;
import org.hpcvirt.vm.VmStatus;

/** Test support: node daemons in memory (VMs, deployment records, notes, migrations) and a scripted Slurm. */
final class FakeCluster implements ClusterDaemons, SlurmCommands {
    final Map<String, Map<String, VmState>> vms = new TreeMap<>();
    final Map<String, Map<String, Map<String, Object>>> records = new TreeMap<>();
    final Map<String, List<String>> notes = new TreeMap<>();
    final Set<String> dead = new java.util.HashSet<>();
    final List<List<String>> slurmCalls = new ArrayList<>();
    final List<String> predictions = new ArrayList<>();
    /** The checkpoint sets asked for: {@code NODE:JOB:NODES:REASON}. */
    final List<String> checkpointSets = new ArrayList<>();
    boolean failSets;
    String sinfo = "";
    String squeue = "";

    FakeCluster(String... nodes) {
        for (String n : nodes) {
            vms.put(n, new TreeMap<>());
            records.put(n, new TreeMap<>());
            notes.put(n, new ArrayList<>());
        }
    }

    /** A job's record on {@code node} as the Prolog writes it. */
    void deployed(String job, String node, List<String> jobVms, List<String> spares, boolean proactive) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("job", job);
        r.put("user", "root");
        r.put("node", node);
        r.put("vms", jobVms);
        r.put("role", spares.contains(node) ? "spare" : "compute");
        r.put("spares", spares);
        r.put("proactive", proactive);
        r.put("labels", new LinkedHashMap<>(Map.of("job", job, "node", node)));
        records.get(node).put(job, r);
        jobVms.forEach(v -> vms.get(node).put(v, VmState.RUNNING));
    }

    static VmStatus status(String name, VmState state) {
        return new VmStatus(name, "root", state, "qemu", 1, 128L << 20, 1, 1, 10, 1000, 0, 0, Instant.EPOCH);
    }

    @Override
    public Set<String> nodes() {
        return vms.keySet();
    }

    @Override
    public String url(String node) {
        return "https://" + node + ":7700";
    }

    @Override
    public Node open(String node) {
        return new Node() {
            private void alive() {
                if (dead.contains(node)) {
                    throw new HpcvirtException(ErrorCode.DAEMON_UNAVAILABLE, "connection refused by " + node);
                }
            }

            @Override
            public List<VmStatus> list() {
                alive();
                return vms.get(node).entrySet().stream().map(e -> status(e.getKey(), e.getValue())).toList();
            }

            @Override
            public List<Map<String, Object>> jobRecords() {
                alive();
                return new ArrayList<>(records.get(node).values());
            }

            @Override
            public void putJobRecord(String job, Map<String, Object> record, String note) {
                alive();
                if (record != null) {
                    records.get(node).put(job, new LinkedHashMap<>(record));
                }
                if (note != null) {
                    notes.get(node).add(note);
                }
            }

            @Override
            public MigrationReport migrate(String vm, String toUrl, long maxDowntimeMs) {
                alive();
                String to = toUrl.substring("https://".length(), toUrl.lastIndexOf(':'));
                if (vms.get(node).remove(vm) == null) {
                    throw HpcvirtException.notFound("VM " + vm);
                }
                vms.get(to).put(vm, VmState.RUNNING);
                return new MigrationReport(vm, toUrl, "tcp:x", 600, 4, 9, 1 << 20, 700, status(vm, VmState.RUNNING));
            }

            @Override
            public void predict(String n, Duration in, double confidence) {
                alive();
                predictions.add(node + ":" + n);
            }

            @Override
            public CheckpointSet checkpointJob(String job, List<String> nodes, String reason) {
                alive();
                if (failSets) {
                    throw new org.hpcvirt.api.HpcvirtException(org.hpcvirt.api.ErrorCode.OPERATION_FAILED, "the store is full");
                }
                checkpointSets.add(node + ":" + job + ":" + String.join(",", nodes) + ":" + reason);
                return new CheckpointSet(CheckpointSet.FORMAT, job, checkpointSets.size(), Instant.EPOCH, reason, nodes, 1, 120, List.of());
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public Result run(List<String> argv) {
        slurmCalls.add(argv);
        return switch (argv.get(0)) {
            case "sinfo" -> new Result(0, sinfo);
            case "squeue" -> new Result(0, squeue);
            case "scontrol" -> new Result(0, "");
            default -> new Result(1, "unexpected " + argv);
        };
    }
}
