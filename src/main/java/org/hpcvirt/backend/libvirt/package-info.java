/**
 * The {@code libvirt} backend: the same guest as the {@code qemu} backend (direct kernel boot of the
 * golden image, the agent on a virtio-serial port, pvpanic, the data disk), run as a transient
 * libvirt domain on the host's libvirtd ({@code qemu:///system}) through libvirt's Java binding.
 * {@link org.hpcvirt.backend.libvirt.LibvirtDomainXml} is the one place the domain XML is written;
 * {@code hpcvirt vm export --format libvirt} prints the same XML.
 */
package org.hpcvirt.backend.libvirt;
