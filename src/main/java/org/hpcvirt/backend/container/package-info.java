/**
 * The {@code container} backend: the golden image's userland and guest agent in an OCI container
 * run by {@code crun} on the host kernel. {@link org.hpcvirt.backend.container.OciConfig} builds the
 * runtime configuration (cgroup limits, mounts, the agent's socket directory),
 * {@code ContainerRootfs} unpacks the image's initramfs into a shared read-only root, {@code Crun}
 * runs crun's commands, and {@code ContainerInstance} is one running container (its status mapped to
 * {@link org.hpcvirt.backend.RunState} in one place). What containers cannot do (checkpoint without
 * CRIU, migration, memory access, kernel faults, data disks) is in the backend's capability row.
 */
package org.hpcvirt.backend.container;
