package org.hpcvirt.backend.qemu.gdb;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * Framing of the GDB remote serial protocol: {@code $payload#cs}, where {@code cs} is the sum of the
 * payload bytes modulo 256 in two hex digits; {@code }}, {@code #}, {@code $} and {@code *} in a payload
 * are escaped as {@code }} followed by the byte XOR 0x20; replies may be run-length encoded
 * ({@code X*n} repeats X {@code n - 29} more times). Pure functions; thread-safe.
 */
public final class GdbPacket {
    /** Longest reply accepted (QEMU's register dump is a few KiB). */
    public static final int MAX_PAYLOAD = 1 << 20;

    private GdbPacket() {
    }

    /** The framed bytes of {@code payload} (escaped, with checksum). */
    public static byte[] encode(String payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(payload.length() + 4);
        out.write('$');
        int sum = 0;
        for (byte b : payload.getBytes(StandardCharsets.ISO_8859_1)) {
            if (b == '$' || b == '#' || b == '}' || b == '*') {
                out.write('}');
                sum += '}';
                b ^= 0x20;
            }
            out.write(b);
            sum += b & 0xff;
        }
        out.write('#');
        byte[] cs = String.format("%02x", sum & 0xff).getBytes(StandardCharsets.US_ASCII);
        out.write(cs, 0, 2);
        return out.toByteArray();
    }

    /**
     * Reads one packet from {@code in}, skipping anything before its {@code $} (acks, stray bytes), and
     * returns its decoded payload.
     *
     * @throws IOException on end of stream, a bad checksum, or a payload over {@link #MAX_PAYLOAD}
     */
    public static String read(InputStream in) throws IOException {
        int c;
        do {
            c = in.read();
            if (c < 0) {
                throw new EOFException("gdbstub closed the connection");
            }
        } while (c != '$');
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        int sum = 0;
        while (true) {
            c = in.read();
            if (c < 0) {
                throw new EOFException("gdbstub closed the connection inside a packet");
            }
            if (c == '#') {
                break;
            }
            if (raw.size() >= MAX_PAYLOAD) {
                throw new IOException("gdb packet longer than " + MAX_PAYLOAD + " bytes");
            }
            sum += c;
            raw.write(c);
        }
        int hi = in.read();
        int lo = in.read();
        if (hi < 0 || lo < 0) {
            throw new EOFException("gdbstub closed the connection inside a checksum");
        }
        int expected;
        try {
            expected = HexFormat.fromHexDigits(new String(new char[] {(char) hi, (char) lo}));
        } catch (IllegalArgumentException e) {
            throw new IOException("gdb packet checksum is not hex: " + (char) hi + (char) lo);
        }
        if ((sum & 0xff) != expected) {
            throw new IOException(String.format("gdb packet checksum mismatch: computed %02x, sent %02x", sum & 0xff, expected));
        }
        return decode(raw.toByteArray());
    }

    /** Undoes escapes and run-length encoding of a packet body (between {@code $} and {@code #}). */
    static String decode(byte[] body) throws IOException {
        StringBuilder sb = new StringBuilder(body.length);
        for (int i = 0; i < body.length; i++) {
            int b = body[i] & 0xff;
            if (b == '}') {
                if (++i >= body.length) {
                    throw new IOException("gdb packet ends inside an escape");
                }
                sb.append((char) ((body[i] & 0xff) ^ 0x20));
            } else if (b == '*') {
                if (sb.length() == 0 || ++i >= body.length) {
                    throw new IOException("gdb packet has a bad run-length encoding");
                }
                int n = (body[i] & 0xff) - 29;
                if (n < 0 || sb.length() + n > MAX_PAYLOAD) {
                    throw new IOException("gdb packet has a bad run length");
                }
                char last = sb.charAt(sb.length() - 1);
                sb.append(String.valueOf(last).repeat(n));
            } else {
                sb.append((char) b);
            }
        }
        return sb.toString();
    }
}
