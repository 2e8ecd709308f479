/**
 * Enclaves and the isolation–performance continuum. For now this package holds
 * {@link org.hpcvirt.enclave.IsolationLevel}, the setting that decides where guest-kernel faults
 * (E-Zone 3) land; enclave partitioning and composition come later.
 */
package org.hpcvirt.enclave;
