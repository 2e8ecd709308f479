package org.hpcvirt.inject;

/**
 * Delivers one kind of fault to a victim VM. Implementations are stateless and thread-safe; the
 * {@link InjectorCatalog} gives the one for each {@link Fault}.
 */
public interface Injector {
    /**
     * Injects the fault. Returns once the fault is delivered (or, for guest-user faults, once the faulting
     * process ended); it does not wait for the VM to die: observers see that.
     *
     * <p>Precondition: the caller checked {@link ZoneModel#requireInjectable}; the VM is running and its
     * agent answers.
     *
     * @throws org.hpcvirt.api.HpcvirtException INVALID_INPUT for bad options, OPERATION_FAILED if the fault
     *         could not be delivered
     */
    Injection inject(FaultTarget target, FaultOptions options, InjectionContext context);
}
