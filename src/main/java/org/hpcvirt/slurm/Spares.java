package org.hpcvirt.slurm;

import java.util.List;
import org.hpcvirt.api.HpcvirtException;

/**
 * Which nodes of a job's allocation are its spares: with {@code ft.spares: K}, the last K nodes of
 * the allocation in Slurm's order ({@code SLURM_NODELIST} expanded), so that every node's Prolog and
 * every cluster-level command makes the same choice without asking anyone. The job asks for them
 * itself ({@code -N} counts them): a job needs at least K+1 nodes. Stateless, thread-safe.
 */
public final class Spares {
    private Spares() {
    }

    /**
     * The spare nodes of {@code nodes}: its last {@code count}.
     *
     * @throws HpcvirtException INVALID_INPUT when the allocation has no node left for the VMs
     */
    public static List<String> of(List<String> nodes, int count) {
        if (count < 0) {
            throw HpcvirtException.invalid(count + " spare nodes: must be 0 or more");
        }
        if (nodes.size() < count + 1) {
            throw HpcvirtException.invalid(tooFew(nodes.size(), count));
        }
        return List.copyOf(nodes.subList(nodes.size() - count, nodes.size()));
    }

    /** The nodes of {@code nodes} that run VMs: all but the spares. */
    public static List<String> compute(List<String> nodes, int count) {
        List<String> spares = of(nodes, count);
        return nodes.stream().filter(n -> !spares.contains(n)).toList();
    }

    /** Why a job of {@code nodes} nodes cannot have {@code spares} spares. */
    public static String tooFew(int nodes, int spares) {
        return spares + " spare node(s) need a job of at least " + (spares + 1) + " nodes (-N" + (spares + 1) + ": -N counts the spares,"
                + " which get no VM), not " + nodes;
    }
}
