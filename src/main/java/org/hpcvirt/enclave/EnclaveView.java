package org.hpcvirt.enclave;

import java.util.List;
import org.hpcvirt.api.VmState;
import org.hpcvirt.backend.qemu.VcpuPinning.VcpuThread;

/**
 * An enclave as {@code hpcvirt enclave show} prints it: what was asked, what its isolation level
 * chose, and what the host holds now (cgroup, QEMU's membership, each vCPU thread's affinity read
 * back from {@code /proc}). Immutable.
 *
 * @param name        the enclave (and VM) name
 * @param owner       the user it belongs to
 * @param state       its VM's state
 * @param isolation   the isolation level's id
 * @param choices     the configuration choices the level made, one line each
 * @param cores       the host cores, vCPU i on cores[i]
 * @param memoryBytes guest memory
 * @param hugePageBytes huge page size backing the memory, 0 for ordinary pages
 * @param cgroup      the cgroup directory
 * @param cgroupCpus  its {@code cpuset.cpus} as the kernel holds it ("-" when it is gone)
 * @param cgroupMems  its {@code cpuset.mems}
 * @param cgroupExclusive whether the kernel holds the cores exclusive to it
 * @param qemuPid     the QEMU pid, 0 when it does not run
 * @param qemuInCgroup whether that pid is listed in the cgroup
 * @param vcpus       the vCPU threads and their affinity (empty when QEMU does not run)
 * @param qemuArgs    the arguments the partition put on QEMU's command line
 * @param links       its shared-memory links
 */
public record EnclaveView(String name, String owner, VmState state, String isolation, List<String> choices, List<Integer> cores,
        long memoryBytes, long hugePageBytes, String cgroup, String cgroupCpus, String cgroupMems, boolean cgroupExclusive,
        long qemuPid, boolean qemuInCgroup, List<VcpuThread> vcpus, List<String> qemuArgs,
        List<org.hpcvirt.profile.VmProfile.SharedMemory> links) {
    public EnclaveView {
        choices = List.copyOf(choices);
        cores = List.copyOf(cores);
        vcpus = List.copyOf(vcpus);
        qemuArgs = List.copyOf(qemuArgs);
        links = links == null ? List.of() : List.copyOf(links);
    }
}
