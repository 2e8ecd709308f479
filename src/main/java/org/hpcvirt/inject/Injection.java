package org.hpcvirt.inject;

import java.time.Instant;

/**
 * What an injector did. The fault takes effect at {@link #at()}; what happens next is for observers.
 *
 * @param fault       the fault
 * @param at          when the fault took effect (for delayed faults: when it was armed plus the delay)
 * @param detail      what exactly was done (address, bit, register, exit code, …)
 * @param processExit exit status of the faulting guest process (128+signal when killed), or -1 if none
 * @param processEnd  when the injector learnt that exit status, or null
 * @param workload    output of the known-answer workload after the fault, or null if none ran or it gave none
 */
public record Injection(Fault fault, Instant at, String detail, int processExit, Instant processEnd, String workload) {
    /** An injection with no process or workload outcome (the effect is for observers to see). */
    public static Injection fired(Fault fault, Instant at, String detail) {
        return new Injection(fault, at, detail, -1, null, null);
    }
}
