package org.hpcvirt.slurm;

import java.util.ArrayList;
import java.util.List;
import org.hpcvirt.api.CpuList;
import org.hpcvirt.api.HpcvirtException;

/**
 * Which host core each of Slurm's CPU ids on this node stands for. On a compute node that is a
 * whole host, Slurm's CPU id {@code k} is host core {@code k} and there is nothing to configure.
 * Where several Slurm nodes share one host (the namespaced test cluster of
 * {@code scripts/slurm-cluster.sh}, or a host split into several Slurm nodes), every node's CPU ids
 * start at 0 again, and the VMs of jobs on different nodes would all be pinned to the same first
 * cores; {@value #ENV} (a CPU list such as {@code 1,0} or {@code 2-3}) then names the host core of
 * CPU id 0, 1, … of the node. Immutable.
 */
public final class CpuMap {
    /** The variable the node's Prolog is given. */
    public static final String ENV = "HPCVIRT_CPU_MAP";

    private final List<Integer> cores;

    private CpuMap(List<Integer> cores) {
        this.cores = cores;
    }

    /** The identity: Slurm's CPU ids are the host's cores. */
    public static final CpuMap IDENTITY = new CpuMap(List.of());

    /** The map of {@code text} ({@value #ENV}'s value); null or blank is the identity. */
    public static CpuMap parse(String text) {
        if (text == null || text.isBlank()) {
            return IDENTITY;
        }
        List<Integer> cores;
        try {
            cores = CpuList.parse(text.strip());
        } catch (HpcvirtException e) {
            throw HpcvirtException.invalid(ENV + "=" + text + ": " + e.getMessage());
        }
        if (cores.stream().distinct().count() != cores.size()) {
            throw HpcvirtException.invalid(ENV + "=" + text + ": a host core appears twice");
        }
        return new CpuMap(List.copyOf(cores));
    }

    private String text() {
        return String.join(",", cores.stream().map(String::valueOf).toList());
    }

    /** The map in force for this process. */
    public static CpuMap fromEnvironment() {
        return parse(System.getenv(ENV));
    }

    /**
     * The host cores of Slurm's CPU ids {@code ids}, in order.
     *
     * @throws HpcvirtException INVALID if an id has no host core in the map
     */
    public List<Integer> hostCores(List<Integer> ids) {
        if (cores.isEmpty()) {
            return ids;
        }
        List<Integer> out = new ArrayList<>(ids.size());
        for (int id : ids) {
            if (id < 0 || id >= cores.size()) {
                throw HpcvirtException.invalid("Slurm CPU id " + id + " has no host core in " + ENV + "=" + text()
                        + " (" + cores.size() + " cores mapped)");
            }
            out.add(cores.get(id));
        }
        return out;
    }

    @Override
    public String toString() {
        return cores.isEmpty() ? "identity" : text();
    }
}
