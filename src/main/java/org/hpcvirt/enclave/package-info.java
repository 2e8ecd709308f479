/**
 * Enclaves: named partitions of the node (dedicated cores in a cpuset cgroup, each vCPU pinned,
 * preallocated memory) and their composition through shared-memory links.
 * {@link org.hpcvirt.enclave.EnclaveLoader} reads enclave files, {@link org.hpcvirt.enclave.Admission}
 * decides cores and memory, {@link org.hpcvirt.enclave.IsolationLevel} maps a level to QEMU and
 * cgroup choices, {@link org.hpcvirt.enclave.CpusetCgroup} and {@link org.hpcvirt.enclave.Links}
 * touch the host, and {@link org.hpcvirt.enclave.EnclaveService} is the daemon's side of
 * {@code hpcvirt enclave}. See docs/enclaves.md.
 */
package org.hpcvirt.enclave;
