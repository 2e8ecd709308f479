package org.hpcvirt.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/**
 * Busybox {@code ping} output as {@code bench enclave} reads it for its virtual-network ICMP line:
 * filtered in the guest to one round-trip time per line plus the statistics line
 * ({@link #PING_FILTER}), parsed into the figures {@code hpcvirt-shmring ping} prints. A pure
 * function; output that does not match is an error quoting it.
 */
public final class NetworkSamples {
    /**
     * The {@code sed} filter the guest pipes {@code ping} through: the round-trip time of each reply
     * in milliseconds, one per line (duplicates, marked {@code (DUP!)}, are left out), and the
     * {@code packets transmitted} line. Keeps 2000 replies far below the agent's output limit.
     */
    public static final String PING_FILTER = "sed -n -e 's/^.* time=\\([0-9.]*\\) ms$/\\1/p' -e '/packets transmitted/p'";
    private static final Pattern RTT_MS = Pattern.compile("(\\d+)(?:\\.(\\d{1,6}))?");
    private static final Pattern SUMMARY = Pattern.compile("(\\d+) packets transmitted, (\\d+) packets received.*");

    private NetworkSamples() {
    }

    /**
     * The round trips of a filtered {@code ping -c N} ({@link #PING_FILTER}): min, median, p99
     * (nearest rank, as {@code hpcvirt-shmring ping} computes them) and max in nanoseconds. Fails
     * when a reply was lost, the statistics line is missing or a line is neither.
     */
    public static EnclaveSamples.RoundTrips ping(String output) {
        List<Long> ns = new ArrayList<>();
        long sent = -1;
        long received = -1;
        for (String raw : output.strip().split("\n")) {
            String line = raw.strip();
            if (line.isEmpty()) {
                continue;
            }
            Matcher s = SUMMARY.matcher(line);
            Matcher t = RTT_MS.matcher(line);
            if (s.matches()) {
                sent = Long.parseLong(s.group(1));
                received = Long.parseLong(s.group(2));
            } else if (t.matches()) {
                ns.add(Long.parseLong(t.group(1)) * 1_000_000L + fraction(t.group(2), 1_000_000L));
            } else {
                throw bad("ping", output);
            }
        }
        if (sent < 1) {
            throw bad("ping (no statistics line)", output);
        }
        if (received != sent || ns.size() != sent) {
            throw bad("ping (" + (sent - Math.min(received, ns.size())) + " of " + sent + " replies lost)", output);
        }
        long[] x = ns.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(x);
        int n = x.length;
        int p99 = Math.min((n * 99 + 99) / 100 - 1, n - 1);
        return new EnclaveSamples.RoundTrips(n, n, x[0], x[n / 2], x[p99], x[n - 1]);
    }

    /** Digits after the decimal point as a fraction of {@code unit}: "512" of 1e6 is 512000. */
    private static long fraction(String digits, long unit) {
        if (digits == null) {
            return 0;
        }
        long v = Long.parseLong(digits);
        for (int i = digits.length(); i < 6; i++) {
            v *= 10;
        }
        return v * unit / 1_000_000L;
    }

    private static HpcvirtException bad(String what, String output) {
        String o = output.strip().replace('\n', ' ');
        return new HpcvirtException(ErrorCode.OPERATION_FAILED, what + " reported '" + (o.length() > 200 ? o.substring(0, 200) + "…" : o)
                + "'");
    }
}
