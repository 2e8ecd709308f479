package org.hpcvirt.vse;

import java.util.Map;

/**
 * A user's virtual system environment file, as written (every field optional; unknown fields are
 * refused by {@link VseLoader}):
 * <pre>
 * image: default          # a golden image of the nodes' catalogue
 * vm:                     # the shape of each VM
 *   cpus: 1
 *   memory: 128M
 *   disk: 1G              # a data disk at /data; absent: none
 * vmsPerNode: 1
 * ft:                     # fault-tolerance wishes
 *   checkpointPeriod: 30m
 *   proactive: false
 *   spares: 0
 * network: none           # none, or private: one network of the job's VMs only, across its nodes,
 *                         # where each VM reaches the others by name (docs/vse.md, "Private network")
 * labels:
 *   app: hello
 * </pre>
 * Values are checked and merged with the administrator's policy by {@link VseMerge}. Immutable.
 *
 * @param image      golden image name, or null
 * @param vm         the VM shape, or null
 * @param vmsPerNode VMs on each allocated node, or null
 * @param ft         fault-tolerance wishes, or null
 * @param network    {@code none} or {@code private}, or null
 * @param labels     free labels (never null)
 */
public record VseFile(String image, Shape vm, Integer vmsPerNode, FtWishes ft, String network, Map<String, String> labels) {
    public VseFile {
        labels = labels == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(labels));
    }

    /** A VSE file that says nothing (everything from the policy's defaults). */
    public static final VseFile EMPTY = new VseFile(null, null, null, null, null, null);

    /**
     * One VM's shape.
     *
     * @param cpus   virtual CPUs, or null
     * @param memory guest RAM ({@code 128M}), or null
     * @param disk   data disk size ({@code 1G}), or null for none
     */
    public record Shape(Integer cpus, String memory, String disk) {
    }

    /**
     * Fault-tolerance wishes.
     *
     * @param checkpointPeriod how often to checkpoint ({@code 30m}), or null
     * @param proactive        act on failure predictions (migrate), or null
     * @param spares           spare nodes wished for migrations and restarts, or null
     */
    public record FtWishes(String checkpointPeriod, Boolean proactive, Integer spares) {
    }
}
