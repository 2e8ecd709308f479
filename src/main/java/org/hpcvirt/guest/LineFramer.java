package org.hpcvirt.guest;

import java.util.Arrays;

/**
 * Splits the guest's byte stream into lines with bounded memory: a line longer than
 * {@link ChannelLineParser#MAX_LINE} (or {@link ChannelLineParser#MAX_RESULT_LINE} for one that starts
 * with {@code "RESULT "}) is discarded up to the next newline and reported once as oversize.
 * Not thread-safe: owned by the reader thread.
 */
final class LineFramer {
    /** Receives framed lines. */
    interface Sink {
        void line(byte[] line);

        void oversize();
    }

    private static final byte[] RESULT = "RESULT ".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private final int maxLine;
    private final int maxResultLine;
    private byte[] buf = new byte[1024];
    private int len;
    private boolean discarding;

    LineFramer(int maxLine, int maxResultLine) {
        this.maxLine = maxLine;
        this.maxResultLine = maxResultLine;
    }

    void feed(byte[] data, int off, int n, Sink sink) {
        for (int i = off; i < off + n; i++) {
            byte b = data[i];
            if (b == '\n') {
                if (discarding) {
                    discarding = false;
                } else {
                    sink.line(Arrays.copyOf(buf, len));
                }
                len = 0;
            } else if (!discarding) {
                if (len >= limit()) {
                    discarding = true;
                    len = 0;
                    sink.oversize();
                } else {
                    if (len == buf.length) {
                        buf = Arrays.copyOf(buf, Math.min(buf.length * 2, maxResultLine));
                    }
                    buf[len++] = b;
                }
            }
        }
    }

    /** The limit for the line being read: the RESULT limit only once its prefix says RESULT. */
    private int limit() {
        if (len < RESULT.length) {
            return maxLine;
        }
        for (int i = 0; i < RESULT.length; i++) {
            if (buf[i] != RESULT[i]) {
                return maxLine;
            }
        }
        return maxResultLine;
    }
}
