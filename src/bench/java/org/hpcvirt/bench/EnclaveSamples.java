package org.hpcvirt.bench;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/**
 * The result lines of the guest programs {@code hpcvirt-shmring} (ping, timed consume) and
 * {@code hpcvirt-noise} (quanta), parsed, with the figures {@code bench enclave} derives from
 * them (MB/s, spreads). Pure functions; a line that does not match is an error quoting it.
 */
public final class EnclaveSamples {
    private static final Pattern PING = Pattern.compile(
            "pinged (\\d+) good (\\d+) min_ns (\\d+) median_ns (\\d+) p99_ns (\\d+) max_ns (\\d+)");
    private static final Pattern STREAM = Pattern.compile(
            "consumed (\\d+) from \\d+ good (\\d+) badsum (\\d+) badseq (\\d+) in (\\d+) us");
    private static final Pattern QUANTA = Pattern.compile(
            "quanta (\\d+) work (\\d+) min_ns (\\d+) median_ns (\\d+) p99_ns (\\d+) max_ns (\\d+)");

    /** Bytes per ring message (sequence number, checksum, 48 bytes of payload). */
    public static final int MESSAGE_BYTES = 64;

    private EnclaveSamples() {
    }

    /** One ping-pong series: round trips in nanoseconds; {@code good} of {@code count} replies passed their checks. */
    public record RoundTrips(long count, long good, long minNs, long medianNs, long p99Ns, long maxNs) {
    }

    /** One timed ring stream: {@code count} messages, all checked, in {@code micros} from the first to the last. */
    public record Stream(long count, long good, long micros) {
        /** Payload-plus-header throughput in MB/s (10^6 bytes), messages of {@link #MESSAGE_BYTES}. */
        public double megabytesPerSecond() {
            return micros == 0 ? Double.POSITIVE_INFINITY : (double) count * MESSAGE_BYTES / micros;
        }
    }

    /** One series of fixed work quanta, times in nanoseconds. */
    public record Quanta(long count, long work, long minNs, long medianNs, long p99Ns, long maxNs) {
        /** p99 over median: 1.0 is a noiseless machine. */
        public double p99Spread() {
            return (double) p99Ns / medianNs;
        }

        /** Worst quantum over median. */
        public double maxSpread() {
            return (double) maxNs / medianNs;
        }
    }

    /** Parses ping's last line; fails naming the line when it is not a complete, all-good series. */
    public static RoundTrips roundTrips(String output) {
        Matcher m = PING.matcher(lastLine(output));
        if (!m.matches()) {
            throw bad("hpcvirt-shmring ping", output);
        }
        RoundTrips r = new RoundTrips(l(m, 1), l(m, 2), l(m, 3), l(m, 4), l(m, 5), l(m, 6));
        if (r.good() != r.count()) {
            throw bad("hpcvirt-shmring ping (bad replies)", output);
        }
        return r;
    }

    /** Parses a timed consumer's last line; fails when a message was bad or lost. */
    public static Stream stream(String output) {
        Matcher m = STREAM.matcher(lastLine(output));
        if (!m.matches()) {
            throw bad("hpcvirt-shmring consume", output);
        }
        if (l(m, 3) != 0 || l(m, 4) != 0 || l(m, 2) != l(m, 1)) {
            throw bad("hpcvirt-shmring consume (bad messages)", output);
        }
        return new Stream(l(m, 1), l(m, 2), l(m, 5));
    }

    /** Parses hpcvirt-noise's quanta line. */
    public static Quanta quanta(String output) {
        Matcher m = QUANTA.matcher(lastLine(output));
        if (!m.matches()) {
            throw bad("hpcvirt-noise quanta", output);
        }
        return new Quanta(l(m, 1), l(m, 2), l(m, 3), l(m, 4), l(m, 5), l(m, 6));
    }

    private static String lastLine(String output) {
        String[] lines = output.strip().split("\n");
        return lines[lines.length - 1].strip();
    }

    private static long l(Matcher m, int g) {
        return Long.parseLong(m.group(g));
    }

    private static HpcvirtException bad(String what, String output) {
        String o = output.strip().replace('\n', ' ');
        return new HpcvirtException(ErrorCode.OPERATION_FAILED, what + " reported '" + (o.length() > 200 ? o.substring(0, 200) + "…" : o)
                + "'");
    }
}
