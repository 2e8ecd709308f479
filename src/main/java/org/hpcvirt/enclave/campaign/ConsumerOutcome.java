package org.hpcvirt.enclave.campaign;

/** What the consumer of a composed pair saw in one run (the effect of E-Zone 3, observed at the other end). */
public enum ConsumerOutcome {
    /** Its enclave failed too (QEMU exited, guest panicked, heartbeats stopped). */
    CRASHED("crashed"),
    /** Its enclave was stopped (policy cascade). */
    STOPPED("stopped"),
    /** Its enclave was paused (policy freeze). */
    FROZEN("frozen"),
    /** It ran on and its ring ended with "peer dead": the daemon marked the segment dead (policy isolate). */
    TOLD_DEAD("told-dead"),
    /** It read corrupt messages and its checks (checksum, sequence number) caught them. */
    DETECTED("detected"),
    /** It read messages that passed both checks but are not what the producer wrote. */
    UNDETECTED("undetected"),
    /**
     * Its enclave was restored with the producer from their composite checkpoint (policy
     * restore-all): what it had received since is undone, and the ring continues from the checkpoint.
     */
    RESTORED("restored"),
    /** It received every message intact (the fault was masked, or the producer came back). */
    CONTINUED("continued"),
    /** It ran on but waited in vain until its deadline (nothing told it the peer is gone). */
    STALLED("stalled"),
    /** The run could not be carried out (an enclave did not come up, a command failed); the detail says why. */
    BROKEN("broken");

    private final String id;

    ConsumerOutcome(String id) {
        this.id = id;
    }

    /** The report's name. */
    public String id() {
        return id;
    }
}
