package org.hpcvirt.enclave;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/**
 * What the node has for enclaves: its online cores, its memory (MemTotal) and what the node keeps
 * for itself. Immutable.
 *
 * @param cores       online host cores
 * @param memTotal    MemTotal in bytes
 * @param reserve     cores and memory kept for the host OS and the daemon
 */
public record NodeResources(List<Integer> cores, long memTotal, NodeReserve reserve) {
    public NodeResources {
        cores = List.copyOf(cores);
    }

    /** Memory enclaves may take together: MemTotal minus the reserve (never negative). */
    public long enclaveMemory() {
        return Math.max(0, memTotal - reserve.memoryBytes());
    }

    /** The online cores of this host ({@code /sys/devices/system/cpu/online}). */
    public static List<Integer> onlineCores() {
        try {
            return org.hpcvirt.api.CpuList.parse(Files.readString(Path.of("/sys/devices/system/cpu/online")));
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot read the host's online cores", e);
        }
    }

    /** This host's cores and MemTotal with {@code reserve}. */
    public static NodeResources detect(NodeReserve reserve) {
        return new NodeResources(onlineCores(), org.hpcvirt.profile.HostLimits.detect().memoryBytes(), reserve);
    }

}
