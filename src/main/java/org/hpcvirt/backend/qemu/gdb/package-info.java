/**
 * A client of the GDB remote serial protocol, enough to read and write guest-physical memory and vCPU
 * registers through QEMU's gdbstub for soft-error injection: {@link org.hpcvirt.backend.qemu.gdb.GdbPacket}
 * frames packets, {@link org.hpcvirt.backend.qemu.gdb.GdbRemote} runs one session.
 */
package org.hpcvirt.backend.qemu.gdb;
