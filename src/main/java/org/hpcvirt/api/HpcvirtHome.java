package org.hpcvirt.api;

import java.nio.file.Path;

/**
 * Where hpcvirt keeps its state on this host: {@code $HPCVIRT_HOME}, else the system property
 * {@code hpcvirt.home}, else {@code $XDG_DATA_HOME/hpcvirt}, else {@code ~/.local/share/hpcvirt}.
 * Nothing is created here; callers create the directories they write into.
 */
public final class HpcvirtHome {
    private HpcvirtHome() {
    }

    /** The home directory, resolved as described above (absolute, not necessarily existing). */
    public static Path resolve() {
        return NodeConfig.current().homeNow();
    }

    /** {@code <home>/images}: where golden images live. */
    public static Path images() {
        return resolve().resolve("images");
    }
}
