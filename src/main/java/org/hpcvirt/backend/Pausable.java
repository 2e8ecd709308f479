package org.hpcvirt.backend;

/** Capability: stop and resume the guest's vCPUs without losing state. */
public interface Pausable {
    /** Stops all vCPUs; returns once the VMM confirms. */
    void pause();

    /** Resumes vCPUs; returns once the VMM confirms. */
    void resume();
}
