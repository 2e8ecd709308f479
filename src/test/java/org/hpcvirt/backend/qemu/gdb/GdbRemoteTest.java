package org.hpcvirt.backend.qemu.gdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.hpcvirt.api.HpcvirtException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The gdb remote protocol framing and the client, against a scripted stub over in-memory pipes. */
class GdbRemoteTest {
    private ScriptedGdbStub stub;

    @AfterEach
    void stopStub() throws InterruptedException {
        if (stub != null) {
            stub.stop();
        }
    }

    @Test
    void encodeAddsChecksumAndEscapes() {
        assertThat(new String(GdbPacket.encode("g"), StandardCharsets.US_ASCII)).isEqualTo("$g#67");
        assertThat(new String(GdbPacket.encode("OK"), StandardCharsets.US_ASCII)).isEqualTo("$OK#9a");
        // '#' is escaped as '}' followed by '#' ^ 0x20 = 0x03
        byte[] esc = GdbPacket.encode("a#");
        assertThat(esc).containsExactly('$', 'a', '}', 0x03, '#', 'e', '1'); // 0x61 + 0x7d + 0x03 = 0xe1
    }

    @Test
    void readDecodesEscapesAndRunLengthAndSkipsAcks() throws IOException {
        byte[] wire = "+$0* #".getBytes(StandardCharsets.US_ASCII); // '0' then ' ' (32-29 = 3 more)
        int sum = '0' + '*' + ' ';
        byte[] full = concat(wire, String.format("%02x", sum & 0xff).getBytes(StandardCharsets.US_ASCII));
        assertThat(GdbPacket.read(new ByteArrayInputStream(full))).isEqualTo("0000");
        byte[] escaped = GdbPacket.encode("x}y$z");
        assertThat(GdbPacket.read(new ByteArrayInputStream(escaped))).isEqualTo("x}y$z");
    }

    @Test
    void readRejectsBadChecksumAndTruncation() {
        assertThatThrownBy(() -> GdbPacket.read(new ByteArrayInputStream("$OK#00".getBytes(StandardCharsets.US_ASCII))))
                .isInstanceOf(IOException.class).hasMessageContaining("checksum mismatch");
        assertThatThrownBy(() -> GdbPacket.read(new ByteArrayInputStream("$OK".getBytes(StandardCharsets.US_ASCII))))
                .isInstanceOf(IOException.class);
    }

    @Test
    void memoryAndRegisterBitFlipsTalkTheProtocol() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        byte[] regs = new byte[17 * 8 + 4];
        regs[16 * 8] = 0x10; // rip = 0x10
        try (GdbRemote r = withStub(seen, payload -> switch (payload.charAt(0)) {
            case 'm' -> "a5";
            case 'M', 'P', 'D', 'Q' -> "OK";
            case 'p' -> HexFormat.of().formatHex(regs, 16 * 8, 17 * 8);
            case 'q' -> "l<target><architecture>i386:x86-64</architecture></target>";
            default -> "";
        })) {
            r.physicalMemoryMode(true);
            assertThat(r.flipMemoryBit(0x1000, 0)).containsExactly(0xa5, 0xa4);
            long[] rip = r.flipRegisterBit(16, 62);
            assertThat(rip).containsExactly(0x10L, 0x10L | (1L << 62));
            r.detach();
        }
        assertThat(seen).containsExactly("Qqemu.PhyMemMode:1", "m1000,1", "M1000,1:a4", "qXfer:features:read:target.xml:0,fff", "p10",
                "P10=" + HexFormat.of().formatHex(withRip(regs, 0x10L | (1L << 62)), 16 * 8, 17 * 8), "D");
    }

    @Test
    void errorRepliesBecomeClearErrorsAndCloseDetaches() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        GdbRemote r = withStub(seen, payload -> payload.equals("D") ? "OK" : "E14");
        assertThatThrownBy(() -> r.readMemory(0, 4)).isInstanceOf(HpcvirtException.class).hasMessageContaining("E14");
        r.close();
        assertThat(seen).containsExactly("m0,4", "D");
    }

    private static byte[] withRip(byte[] regs, long rip) {
        byte[] c = regs.clone();
        for (int i = 0; i < 8; i++) {
            c[16 * 8 + i] = (byte) (rip >>> (8 * i));
        }
        return c;
    }

    /** A client connected to a {@link ScriptedGdbStub} over in-memory pipes; every payload it receives goes to {@code seen}. */
    private GdbRemote withStub(List<String> seen, ScriptedGdbStub.Script script) throws IOException {
        PipedOutputStream toStub = new PipedOutputStream();
        PipedInputStream stubIn = new PipedInputStream(toStub, 1 << 16);
        PipedOutputStream fromStub = new PipedOutputStream();
        PipedInputStream clientIn = new PipedInputStream(fromStub, 1 << 16);
        stub = new ScriptedGdbStub(stubIn, fromStub, p -> {
            seen.add(p);
            return script.reply(p);
        });
        return new GdbRemote(clientIn, toStub, () -> {
            toStub.close();
            clientIn.close();
        }, Duration.ofSeconds(5));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = new byte[a.length + b.length];
        System.arraycopy(a, 0, c, 0, a.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
