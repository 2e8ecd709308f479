package org.hpcvirt.profile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/**
 * What this host can give a VM, used to reject profiles that cannot run here. Host CPUs are
 * numbered {@code 0..cores-1}. Immutable; pass a hand-made instance in tests instead of
 * {@link #detect()}.
 *
 * @param cores       host CPUs usable by this process, at least 1
 * @param memoryBytes host RAM in bytes, positive
 */
public record HostLimits(int cores, long memoryBytes) {
    private static final Pattern MEM_TOTAL = Pattern.compile("(?m)^MemTotal:\\s+([0-9]+)\\s*kB\\s*$");

    public HostLimits {
        if (cores < 1) {
            throw new IllegalArgumentException("cores must be at least 1, got " + cores);
        }
        if (memoryBytes <= 0) {
            throw new IllegalArgumentException("memoryBytes must be positive, got " + memoryBytes);
        }
    }

    /**
     * The limits of the machine this JVM runs on: {@link Runtime#availableProcessors()} (which
     * honours CPU affinity and container quotas) and {@code MemTotal} from {@code /proc/meminfo}.
     *
     * @throws HpcvirtException OPERATION_FAILED if {@code /proc/meminfo} cannot be read or has no MemTotal
     */
    public static HostLimits detect() {
        Path meminfo = Path.of("/proc/meminfo");
        try {
            return new HostLimits(Runtime.getRuntime().availableProcessors(), memTotal(Files.readString(meminfo)));
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot read host memory from " + meminfo, e);
        }
    }

    /** MemTotal in bytes from the text of {@code /proc/meminfo}. */
    static long memTotal(String meminfo) {
        Matcher m = MEM_TOTAL.matcher(meminfo);
        if (!m.find()) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "no MemTotal line in /proc/meminfo");
        }
        return Math.multiplyExact(Long.parseLong(m.group(1)), 1024L);
    }
}
