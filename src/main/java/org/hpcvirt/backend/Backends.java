package org.hpcvirt.backend;

import java.util.List;
import org.hpcvirt.backend.container.ContainerBackend;
import org.hpcvirt.backend.libvirt.LibvirtBackend;
import org.hpcvirt.backend.qemu.QemuBackend;

/**
 * The composition point of the backends: the only class outside the backends' own packages that
 * names an implementation. Add a backend here to make it known to nodes.
 */
public final class Backends {
    private Backends() {
    }

    /**
     * A node's default backends: {@code qemu} (TCG), {@code kvm}, {@code libvirt} and {@code container}
     * (crun). A new registry each call (nothing is probed until asked).
     */
    public static BackendRegistry defaults() {
        return new BackendRegistry(List.of(QemuBackend.tcg(), QemuBackend.kvm(), LibvirtBackend.system(), new ContainerBackend()));
    }
}
