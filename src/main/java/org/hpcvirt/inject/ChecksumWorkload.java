package org.hpcvirt.inject;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.guest.ExecResult;

/**
 * Drives {@code /sbin/hpcvirt-checksum} in the guest: start it (it reports the guest-physical address of
 * its buffer and waits), let it go, collect its result. The workload runs detached from the agent; its
 * output and exit status go to a file that later commands read. One workload per guest at a time.
 */
public final class ChecksumWorkload {
    /** Rounds of the checksum loop unless told otherwise (a few hundred ms under TCG). */
    public static final int DEFAULT_ROUNDS = 200;
    private static final String OUT = "/tmp/hpcvirt-wl.out";
    private static final String GO = "/tmp/hpcvirt-go";
    private static final Pattern PHYS = Pattern.compile("(?m)^phys 0x([0-9a-f]+)$");
    private static final Pattern RESULT = Pattern.compile("(?m)^result ([0-9a-f]{16}) ms (\\d+)$");
    private static final Pattern EXIT = Pattern.compile("(?m)^exit (\\d+)$");

    /**
     * The workload's end as read from its output file.
     *
     * @param result     the checksum (16 hex digits), or null if it printed none
     * @param elapsedMs  its compute time in the guest, or -1
     * @param exitStatus its exit status (128+signal if killed), or -1 if it had not ended
     * @param output     the whole output file
     */
    public record Outcome(String result, long elapsedMs, int exitStatus, String output) {
    }

    private ChecksumWorkload() {
    }

    /**
     * Starts the workload and returns the guest-physical address of its buffer's first 4 KiB page.
     *
     * @throws HpcvirtException OPERATION_FAILED if it does not report an address within 20 s
     */
    public static long start(FaultTarget target, int rounds) {
        String cmd = "rm -f " + GO + " " + OUT + "; setsid sh -c '/sbin/hpcvirt-checksum " + rounds + " " + GO
                + "; echo \"exit $?\"' </dev/null >" + OUT + " 2>&1 & "
                + "i=0; while ! grep -q '^phys' " + OUT + " 2>/dev/null; do sleep 0.02; i=$((i+1)); "
                + "[ $i -gt 1000 ] && exit 124; done; cat " + OUT;
        ExecResult r = target.exec(cmd, Duration.ofSeconds(20));
        Matcher m = PHYS.matcher(r.output());
        if (r.exitCode() != 0 || !m.find()) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "checksum workload did not start in " + target.name()
                    + " (exit " + r.exitCode() + "): " + r.output().strip());
        }
        long phys = Long.parseUnsignedLong(m.group(1), 16);
        if (phys == 0) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "checksum workload could not read its physical address");
        }
        return phys;
    }

    /** Lets the started workload compute. */
    public static void go(FaultTarget target) {
        target.exec("touch " + GO, Duration.ofSeconds(20));
    }

    /**
     * Waits until the workload ended and returns its outcome; a workload still running at {@code timeout}
     * has no exit status (a hang). Returns null if the guest stopped answering.
     */
    public static Outcome await(FaultTarget target, Duration timeout) {
        long ticks = Math.max(1, timeout.toMillis() / 50);
        String cmd = "i=0; while ! grep -q '^exit' " + OUT + "; do sleep 0.05; i=$((i+1)); [ $i -gt " + ticks
                + " ] && break; done; cat " + OUT;
        ExecResult r;
        try {
            r = target.exec(cmd, timeout.plusSeconds(10));
        } catch (HpcvirtException e) {
            return null;
        }
        String out = r.output();
        Matcher res = RESULT.matcher(out);
        Matcher ex = EXIT.matcher(out);
        boolean hasResult = res.find();
        return new Outcome(hasResult ? res.group(1) : null, hasResult ? Long.parseLong(res.group(2)) : -1,
                ex.find() ? Integer.parseInt(ex.group(1)) : -1, out);
    }

    /**
     * A run without any fault: the golden result that soft-error runs are compared with.
     *
     * @throws HpcvirtException OPERATION_FAILED if the workload gives no result
     */
    public static Outcome golden(FaultTarget target, int rounds, Duration timeout) {
        start(target, rounds);
        go(target);
        Outcome o = await(target, timeout);
        if (o == null || o.result() == null || o.exitStatus() != 0) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "golden run of the checksum workload failed in "
                    + target.name() + ": " + (o == null ? "guest stopped answering" : o.output().strip()));
        }
        return o;
    }
}
