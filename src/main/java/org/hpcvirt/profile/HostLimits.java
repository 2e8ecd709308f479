package org.hpcvirt.profile;
// TEMPORARY STUB
public record HostLimits(int cores, long memoryBytes) {
    public static HostLimits detect() { return new HostLimits(Runtime.getRuntime().availableProcessors(), 1L << 34); }
}
