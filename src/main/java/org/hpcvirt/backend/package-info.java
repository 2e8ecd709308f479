/**
 * The backend SPI, independent of any one virtualization solution. A
 * {@link org.hpcvirt.backend.Backend} turns a {@link org.hpcvirt.backend.LaunchSpec} into a running
 * {@link org.hpcvirt.backend.Instance} (a VMM process) and re-attaches to one after a daemon restart
 * from its persisted {@link org.hpcvirt.backend.InstanceRecord}. What the guest is doing is a
 * {@link org.hpcvirt.backend.RunState}, mapped from the VMM's own statuses inside the backend; VMM
 * events reach an {@link org.hpcvirt.backend.InstanceListener}.
 *
 * <p>Everything beyond launching, watching and ending a guest is an optional capability, a separate
 * object looked up by its interface and never assumed:
 * <ul>
 *   <li>of an instance, with {@link org.hpcvirt.backend.Instance#capability(Class)}:
 *       {@link org.hpcvirt.backend.Pausable}, {@link org.hpcvirt.backend.Checkpointable},
 *       {@link org.hpcvirt.backend.DiskSnapshots}, {@link org.hpcvirt.backend.Migratable},
 *       {@link org.hpcvirt.backend.MemoryAccess};</li>
 *   <li>of a backend, with {@link org.hpcvirt.backend.Backend#capability(Class)}:
 *       {@link org.hpcvirt.backend.IncomingLaunch}, {@link org.hpcvirt.backend.MemoryAccess.Provider}.</li>
 * </ul>
 * A missing capability is {@code Optional.empty()}, and callers tell the user that the backend cannot
 * do it. What a backend can do is also declared as a whole, with a reason for each thing it cannot:
 * {@link org.hpcvirt.backend.Backend#capabilities()} gives its row of the capability matrix
 * ({@link org.hpcvirt.backend.Capability} → present, or absent with a reason, in
 * {@link org.hpcvirt.backend.Capabilities}), which {@code hpcvirt backends} prints and the daemon uses
 * to refuse, before anything starts, what needs an absent capability. An unusable backend is reported by {@link org.hpcvirt.backend.Backend#probe()} with its
 * reason; there is no silent fallback to another backend.
 *
 * <p>Ownership: whoever launches or attaches an instance owns it and closes it
 * ({@link org.hpcvirt.backend.Instance#close()} leaves the guest running;
 * {@link org.hpcvirt.backend.Instance#kill()} ends it). Backends, registries and instances are
 * thread-safe; capabilities say what they allow concurrently.
 *
 * <p>Implementations live in sub-packages ({@code backend.qemu}: QEMU with TCG or KVM;
 * {@code backend.container}: OCI containers run by crun). Nothing
 * outside them names an implementation except {@link org.hpcvirt.backend.Backends}, the composition
 * point that builds a node's {@link org.hpcvirt.backend.BackendRegistry}.
 */
package org.hpcvirt.backend;
