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
        String env = System.getenv("HPCVIRT_HOME");
        if (env != null && !env.isBlank()) {
            return Path.of(env).toAbsolutePath();
        }
        String prop = System.getProperty("hpcvirt.home");
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop).toAbsolutePath();
        }
        String xdg = System.getenv("XDG_DATA_HOME");
        if (xdg != null && !xdg.isBlank()) {
            return Path.of(xdg, "hpcvirt").toAbsolutePath();
        }
        return Path.of(System.getProperty("user.home"), ".local", "share", "hpcvirt");
    }

    /** {@code <home>/images}: where golden images live. */
    public static Path images() {
        return resolve().resolve("images");
    }
}
