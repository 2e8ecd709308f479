/**
 * The QEMU backends: {@link org.hpcvirt.backend.qemu.QemuCommandLine} builds QEMU's argument list
 * (never a shell string), {@link org.hpcvirt.backend.qemu.QmpConnection} speaks QMP over the Unix
 * socket, {@link org.hpcvirt.backend.qemu.QemuInstance} is a running QEMU (its status mapped to
 * {@link org.hpcvirt.backend.RunState} in one place, its capabilities separate package-private
 * objects), and {@link org.hpcvirt.backend.qemu.QemuBackend} is the {@code qemu} (TCG) and
 * {@code kvm} backend. Guest memory is reached through QEMU's gdbstub with the client in
 * {@code backend.qemu.gdb}.
 */
package org.hpcvirt.backend.qemu;
