package org.hpcvirt.sim;

/**
 * The failures of a whole platform in time order. One instance per simulation run; not
 * thread-safe.
 */
public interface FailureProcess {
    /** The next failure; times never decrease. */
    PlatformFailure next();
}
