package org.hpcvirt.guest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import org.hpcvirt.guest.ChannelLineParser.Outcome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ChannelLineParserTest {
    private static final Instant AT = Instant.parse("2025-01-01T00:00:00Z");
    private static final String BOOT = "a378fb30-ca5e-40d5-9570-8037734f42cb";

    private static Outcome parse(String s) {
        return ChannelLineParser.parse(s.getBytes(StandardCharsets.ISO_8859_1), AT);
    }

    private static GuestMessage ok(String s) {
        Outcome o = parse(s);
        assertThat(o).as(s).isInstanceOf(Outcome.Parsed.class);
        return ((Outcome.Parsed) o).message();
    }

    @Test
    void parsesWhatTheAgentSends() {
        assertThat(ok("HELLO v=1 agent=0.1 boot=" + BOOT + " hb=200")).isEqualTo(new Hello(1, "0.1", BOOT, 200, AT));
        assertThat(ok("HB seq=36 up=8590 load=0.08 counter=699 mem=ok"))
                .isEqualTo(new Heartbeat(36, 8590, 0.08, 699, true, AT));
        assertThat(ok("HB seq=1 up=0 load=12.50 counter=0 mem=bad")).extracting("memOk").isEqualTo(false);
        assertThat(ok("RESULT id=1 rc=0 out=aGkK trunc=0 ms=107"))
                .isEqualTo(new GuestMessage.Result(1, new ExecResult(0, "hi\n", false, 107)));
        assertThat(ok("RESULT id=4 rc=137 out= trunc=1 ms=307"))
                .isEqualTo(new GuestMessage.Result(4, new ExecResult(137, "", true, 307)));
        assertThat(ok("COUNTER id=3 value=680 seq=35 boot=" + BOOT))
                .isEqualTo(new GuestMessage.Counter(3, new CounterReading(680, 35, BOOT)));
        assertThat(ok("PONG id=2")).isEqualTo(new GuestMessage.Pong(2));
        assertThat(ok("ERR id=0 msg=bGluZSB0b28gbG9uZw==")).isEqualTo(new GuestMessage.Error(0, "line too long"));
        assertThat(ok("PONG id=2 future=x")).isEqualTo(new GuestMessage.Pong(2)); // unknown fields ignored
    }

    @Test
    void blankLineIsIgnoredNotGarbage() {
        assertThat(parse("")).isInstanceOf(Outcome.Blank.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "garbage", "HB", "HB seq=0 up=1 load=0.1 counter=1 mem=ok", "HB seq=-1 up=1 load=0.1 counter=1 mem=ok",
            "HB seq=1 up=1 load=0.1 counter=1 mem=maybe", "HB seq=1 up=1 load=NaN counter=1 mem=ok",
            "HB seq=1 up=1 load=1e9 counter=1 mem=ok", "HB seq=01 up=1 load=0.1 counter=1 mem=ok",
            "HB seq=1 seq=2 up=1 load=0.1 counter=1 mem=ok", "HB seq=9999999999999999999 up=1 load=0 counter=1 mem=ok",
            "HB  seq=1 up=1 load=0 counter=1 mem=ok", "HB seq=1 up=1 load=0 counter=1 mem=ok ",
            "HELLO v=2 agent=0.1 boot=" + BOOT + " hb=200", "HELLO v=1 agent=0.1 boot=nope hb=200",
            "HELLO v=1 agent=0.1 boot=" + BOOT + " hb=10", "HELLO v=1 agent=a;b boot=" + BOOT + " hb=200",
            "RESULT id=1 rc=256 out= trunc=0 ms=1", "RESULT id=1 rc=0 out=aGk trunc=0 ms=1",
            "RESULT id=1 rc=0 out=a*Kk trunc=0 ms=1", "RESULT id=0 rc=0 out= trunc=0 ms=1",
            "RESULT id=1 rc=0 out= trunc=2 ms=1", "PONG", "PONG id=x", "pong id=1", "ERR id=1 msg=%%%%",
            "ERR id=1 msg=/w==", "PONG id=1\u0000", "PONG id=1\r", "=x", "HB =1"})
    void rejectsMalformedLines(String line) {
        assertThat(parse(line)).as(line).isInstanceOf(Outcome.Rejected.class);
    }

    @Test
    void enforcesLengthLimitsAndOutputSize() {
        String pong = "PONG id=1 x=" + "a".repeat(ChannelLineParser.MAX_LINE);
        assertThat(parse(pong)).isInstanceOf(Outcome.Rejected.class);
        String max = Base64.getEncoder().encodeToString(new byte[ChannelLineParser.MAX_OUTPUT_BYTES]);
        assertThat(ok("RESULT id=1 rc=0 out=" + max + " trunc=1 ms=1")).isInstanceOf(GuestMessage.Result.class);
        String over = Base64.getEncoder().encodeToString(new byte[ChannelLineParser.MAX_OUTPUT_BYTES + 3]);
        assertThat(parse("RESULT id=1 rc=0 out=" + over + " trunc=1 ms=1")).isInstanceOf(Outcome.Rejected.class);
    }

    @Test
    void errorMessagesAreMadePrintable() {
        String msg = Base64.getEncoder().encodeToString("a\u001b[2Jb".getBytes(StandardCharsets.UTF_8));
        assertThat(ok("ERR id=5 msg=" + msg)).isEqualTo(new GuestMessage.Error(5, "a?[2Jb"));
    }

    @Property(tries = 2000)
    void arbitraryBytesNeverThrow(@ForAll @Size(max = 300) byte[] line) {
        Outcome o = ChannelLineParser.parse(line, AT);
        assertThat(o).isNotNull();
        if (o instanceof Outcome.Rejected r) {
            assertThat(r.reason()).isNotBlank().hasSizeLessThan(100);
        }
    }

    @Property(tries = 2000)
    void mutatedValidLinesNeverThrow(@ForAll("mutatedLines") byte[] line) {
        assertThat(ChannelLineParser.parse(line, AT)).isNotNull();
    }

    @Provide
    Arbitrary<byte[]> mutatedLines() {
        Arbitrary<String> valid = Arbitraries.of("HELLO v=1 agent=0.1 boot=" + BOOT + " hb=200",
                "HB seq=36 up=8590 load=0.08 counter=699 mem=ok", "RESULT id=1 rc=0 out=aGkK trunc=0 ms=107",
                "COUNTER id=3 value=680 seq=35 boot=" + BOOT, "PONG id=2", "ERR id=0 msg=bGluZSB0b28gbG9uZw==");
        return valid.flatMap(s -> Arbitraries.integers().between(0, s.length() - 1).list().ofMaxSize(4)
                .flatMap(positions -> Arbitraries.bytes().list().ofSize(positions.size()).map(values -> {
                    byte[] b = s.getBytes(StandardCharsets.US_ASCII);
                    for (int i = 0; i < positions.size(); i++) {
                        b[positions.get(i)] = values.get(i);
                    }
                    return b;
                })));
    }
}
