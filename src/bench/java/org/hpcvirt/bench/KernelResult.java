package org.hpcvirt.bench;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/**
 * The one result line of {@code hpcvirt-kernels} ({@code guest/workloads/hpcvirt-kernels.c}):
 * {@code kernel=MODE work=N unit=UNIT seconds=S checksum=HEX16}. Immutable.
 *
 * @param kernel   the mode that ran (cpu, mem, syscall, fileio)
 * @param work     amount of work done, in {@code unit}
 * @param unit     iterations, bytes or calls
 * @param seconds  time the work took, measured by the program itself (CLOCK_MONOTONIC)
 * @param checksum 16 hex digits depending on every step of the work
 */
public record KernelResult(String kernel, long work, String unit, double seconds, String checksum) {
    private static final Pattern LINE = Pattern.compile(
            "(?m)^kernel=([a-z]+) work=(\\d+) unit=([a-z]+) seconds=(\\d+\\.\\d+) checksum=([0-9a-f]{16})$");

    /**
     * Finds the result line in {@code output} (the program's whole output).
     *
     * @param where where it ran, for the message
     * @throws HpcvirtException OPERATION_FAILED quoting the output when there is no well-formed line or the time is not positive
     */
    public static KernelResult parse(String output, String where) {
        Matcher m = LINE.matcher(output == null ? "" : output);
        if (!m.find()) {
            String o = output == null ? "" : output.strip();
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "hpcvirt-kernels on " + where + " printed no result line: "
                    + (o.isEmpty() ? "(no output)" : o.length() > 300 ? o.substring(0, 300) + "…" : o));
        }
        double s = Double.parseDouble(m.group(4));
        if (!(s > 0)) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "hpcvirt-kernels on " + where + " reported " + m.group(4)
                    + " s: the work is too small to time; raise --scale");
        }
        return new KernelResult(m.group(1), Long.parseLong(m.group(2)), m.group(3), s, m.group(5));
    }
}
