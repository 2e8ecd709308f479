package org.hpcvirt.inject.campaign;

/** The label of one run. */
public enum Outcome {
    /** The fault had no visible effect (the workload's result equals the golden one). */
    BENIGN,
    /** Silent data corruption: the workload finished with a wrong result and nothing noticed. */
    SDC,
    /** Something failed: a process, the guest kernel or the VMM (see the run's scope). */
    CRASH,
    /** Something stopped making progress: a process or the whole guest (see the run's scope). */
    HANG,
    /** The run could not be carried out (the VMM did not start, the snapshot did not load, …). */
    BROKEN;

    /** Lower-case name for reports. */
    public String id() {
        return name().toLowerCase();
    }
}
