package org.hpcvirt.backend;

/**
 * The answer of {@link Backend#probe()}.
 *
 * @param usable  true if guests can be launched
 * @param reason  why not (or "ok")
 * @param version version of the underlying solution, or "" if unknown
 */
public record ProbeResult(boolean usable, String reason, String version) {
    public static ProbeResult ok(String version) {
        return new ProbeResult(true, "ok", version);
    }

    public static ProbeResult unusable(String reason, String version) {
        return new ProbeResult(false, reason, version);
    }
}
