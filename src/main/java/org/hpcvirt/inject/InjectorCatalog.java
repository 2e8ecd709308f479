package org.hpcvirt.inject;

import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/** The injector of each fault. Thread-safe. */
public final class InjectorCatalog {
    private InjectorCatalog() {
    }

    /**
     * The injector for {@code fault}.
     *
     * @throws HpcvirtException REFUSED for {@link Fault#HOST_KERNEL_PANIC}: no injector exists for it
     */
    public static Injector forFault(Fault fault) {
        return switch (fault) {
            case KERNCRASH, KERNEL_OOPS, KERNEL_HANG -> new KerncrashInjector();
            case SYSRQ_CRASH -> new SysrqInjector();
            case SEGFAULT, ABORT, OOM, BUSY_LOOP -> new GuestProcessInjector();
            case VMM_SIGKILL, VMM_SIGSEGV -> new VmmSignalInjector();
            case BITFLIP_WORKLOAD, BITFLIP_MEMORY, BITFLIP_REGISTER -> new SoftErrorInjector();
            case HOST_KERNEL_PANIC -> throw new HpcvirtException(ErrorCode.REFUSED,
                    "refusing to inject host-kernel-panic (E-Zone 1): it would take the whole node down");
        };
    }
}
