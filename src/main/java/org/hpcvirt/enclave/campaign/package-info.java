/**
 * Fault-injection campaigns over a composed pair of enclaves: a producer and a consumer joined by a
 * shared-memory link, faults injected into the producer's guest kernel or into the shared segment
 * while the ring runs, and what the consumer saw counted per link error policy.
 */
package org.hpcvirt.enclave.campaign;
