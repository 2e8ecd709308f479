package org.hpcvirt.backend;

import java.util.Map;

/** Receives VMM-side events of one {@link Instance}. Called on the backend's reader thread; must not block. */
public interface InstanceListener {
    /** Kinds of VMM events that matter to the daemon. */
    enum Kind {
        /** The guest kernel panicked (pvpanic). */
        GUEST_PANICKED,
        /** The guest powered off or asked to. */
        SHUTDOWN,
        /** vCPUs stopped (pause, or migration end). */
        STOPPED,
        /** vCPUs resumed. */
        RESUMED,
        /** The VMM process is gone (exited or killed); {@code data} has "exitCode" if known. */
        EXITED,
        /** Any other VMM event, passed through. */
        OTHER
    }

    void onEvent(Kind kind, String name, Map<String, Object> data);
}
