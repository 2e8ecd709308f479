package org.hpcvirt.enclave;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What the daemon does to an enclave when the enclave at the other end of a shared-memory link
 * fails (its QEMU exits unasked, its guest panics or its heartbeats stop). Each step is an event
 * ({@code FT_DECISION}) on the surviving enclave.
 */
public enum LinkPolicy {
    /** The survivor runs on; the segment is marked dead (its first 8 bytes become {@link #DEAD_MAGIC}) so it can tell. */
    ISOLATE,
    /** The survivor is paused until an operator resumes, restarts or destroys it. */
    FREEZE,
    /** The survivor is stopped too: the composite stops. */
    CASCADE,
    /**
     * The failed enclave comes back and maps the same segment; the survivor runs on. From the failed
     * enclave's newest checkpoint if it has one (whose state writes the segment as it was then over
     * the live one: the survivor sees the ring as it was at that checkpoint), booted afresh
     * otherwise. At most {@code EnclaveService.MAX_RESTARTS} times per enclave since its creation.
     */
    RESTART,
    /**
     * The whole composite (the failed enclave and every enclave linked to it) is stopped and
     * restored from its newest consistent checkpoint ({@code CheckpointEnclave}, tag
     * {@code enclaves-TIME}): all loaded paused, then all resumed. Without such a checkpoint it
     * falls back to {@link #RESTART}. Counted against the same limit.
     */
    RESTORE_ALL;

    /** The segment's first 8 bytes once a link is dead ("hpcvdead", little-endian). */
    public static final long DEAD_MAGIC = 0x6461656476637068L;

    /** The lower-case name used in enclave files ({@code restore-all}). */
    public String id() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The policy named {@code text}, or null. */
    public static LinkPolicy parse(String text) {
        for (LinkPolicy p : values()) {
            if (p.id().equals(text)) {
                return p;
            }
        }
        return null;
    }

    /** The known ids, for messages. */
    public static String ids() {
        return Arrays.stream(values()).map(LinkPolicy::id).collect(Collectors.joining(", "));
    }
}
