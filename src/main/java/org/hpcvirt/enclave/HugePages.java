package org.hpcvirt.enclave;

import java.util.Locale;

/** Whether an enclave's guest memory comes from the host's huge page pool. */
public enum HugePages {
    /** Ordinary 4 KiB pages. */
    NO,
    /** Huge pages when the pool has enough free ones at start; ordinary pages otherwise (and {@code enclave show} says so). */
    YES,
    /** Huge pages or no enclave: creation is refused when the pool has too few free pages. */
    REQUIRED;

    /** The lower-case name used in enclave files. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
