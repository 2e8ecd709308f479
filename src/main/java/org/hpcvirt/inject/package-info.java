/**
 * Error zones and fault injection. {@link org.hpcvirt.inject.ErrorZone}, {@link org.hpcvirt.inject.Effect}
 * and {@link org.hpcvirt.inject.ZoneModel} model where faults start and how far they are expected to spread
 * per backend and {@link org.hpcvirt.enclave.IsolationLevel}; faults that would hit the real host kernel are
 * refused. Each {@link org.hpcvirt.inject.Fault} has an {@link org.hpcvirt.inject.Injector} (see
 * {@link org.hpcvirt.inject.InjectorCatalog}) that works on any {@link org.hpcvirt.inject.FaultTarget}.
 * Campaigns live in {@code inject.campaign}. Soft errors reach guest memory and registers through the
 * backend's {@link org.hpcvirt.backend.MemoryAccess}.
 */
package org.hpcvirt.inject;
