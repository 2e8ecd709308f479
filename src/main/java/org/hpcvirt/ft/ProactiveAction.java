package org.hpcvirt.ft;

/** What a proactive policy does about a trusted prediction. */
public enum ProactiveAction {
    /** Live-migrate the VMs away from the node. */
    MIGRATE,
    /** Pause the VMs to storage and resume them elsewhere (also a restart point). */
    PAUSE
}
