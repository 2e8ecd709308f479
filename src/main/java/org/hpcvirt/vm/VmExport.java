package org.hpcvirt.vm;

/**
 * A VM's definition in another tool's format ({@link org.hpcvirt.api.Operation.Export}).
 *
 * @param name     the VM
 * @param format   the format, named after the backend that wrote it (e.g. {@code libvirt})
 * @param document the definition itself (for libvirt: domain XML for {@code virsh define})
 */
public record VmExport(String name, String format, String document) {
}
