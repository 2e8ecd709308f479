/**
 * The QEMU backends: {@link org.hpcvirt.backend.qemu.QemuCommandLine} builds QEMU's argument list
 * (never a shell string), {@link org.hpcvirt.backend.qemu.QmpConnection} speaks QMP over the Unix
 * socket, {@link org.hpcvirt.backend.qemu.QemuInstance} is a running QEMU, and
 * {@link org.hpcvirt.backend.qemu.QemuBackend} is the {@code qemu} (TCG) and {@code kvm} backend.
 */
package org.hpcvirt.backend.qemu;
