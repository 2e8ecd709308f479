package org.hpcvirt.guest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LineFramerTest {
    private final List<String> lines = new ArrayList<>();
    private final AtomicLong oversize = new AtomicLong();
    private final LineFramer framer = new LineFramer(16, 40);
    private final LineFramer.Sink sink = new LineFramer.Sink() {
        @Override
        public void line(byte[] line) {
            lines.add(new String(line, StandardCharsets.US_ASCII));
        }

        @Override
        public void oversize() {
            oversize.incrementAndGet();
        }
    };

    private void feed(String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        framer.feed(b, 0, b.length, sink);
    }

    @Test
    void splitsLinesAcrossReads() {
        feed("PONG id=1\nPO");
        feed("NG id=2\n\n");
        assertThat(lines).containsExactly("PONG id=1", "PONG id=2", "");
    }

    @Test
    void discardsOversizeLinesUpToTheNewlineAndCountsThemOnce() {
        feed("x".repeat(16) + "\n"); // exactly at the limit: kept
        feed("y".repeat(100));
        feed("y".repeat(100) + "\nPONG id=3\n");
        assertThat(lines).containsExactly("x".repeat(16), "PONG id=3");
        assertThat(oversize).hasValue(1);
    }

    @Test
    void resultLinesHaveTheLargerLimit() {
        feed("RESULT " + "r".repeat(33) + "\n");
        feed("RESULT " + "r".repeat(34) + "\nPONG id=4\n");
        assertThat(lines).containsExactly("RESULT " + "r".repeat(33), "PONG id=4");
        assertThat(oversize).hasValue(1);
    }
}
