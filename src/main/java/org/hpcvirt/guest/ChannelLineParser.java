package org.hpcvirt.guest;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Strict parser of one guest-to-host line (without its newline). The guest is untrusted: every field
 * is checked for presence, syntax and range, base64 is validated, and anything else is a
 * {@link Outcome.Rejected} with a short reason. {@link #parse} never throws for any input.
 * Pure and stateless; thread-safe. Matching replies to outstanding requests is the caller's job.
 */
public final class ChannelLineParser {
    /** Longest line (bytes, newline excluded) the host accepts, except {@code RESULT}. */
    public static final int MAX_LINE = 4096;
    /** Longest {@code RESULT} line: 48 KiB of output is 65,536 base64 characters plus the fields. */
    public static final int MAX_RESULT_LINE = 70_000;
    /** Most output bytes a {@code RESULT} may carry. */
    public static final int MAX_OUTPUT_BYTES = 48 * 1024;
    private static final int MAX_ERR_BYTES = 1024;
    private static final int MAX_FIELDS = 16;
    private static final Pattern KEY = Pattern.compile("[a-z]{1,16}");
    private static final Pattern UUID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    private static final Pattern AGENT_VERSION = Pattern.compile("[A-Za-z0-9._-]{1,32}");
    private static final Pattern LOAD = Pattern.compile("[0-9]{1,6}(\\.[0-9]{1,3})?");
    private static final long MAX_COUNT = 1_000_000_000_000_000L;

    private ChannelLineParser() {
    }

    /** The result of parsing one line. */
    public sealed interface Outcome permits Outcome.Parsed, Outcome.Rejected, Outcome.Blank {
        /** A valid message. */
        record Parsed(GuestMessage message) implements Outcome {
        }

        /** An invalid line; {@code reason} is short, printable and never contains the line's bytes. */
        record Rejected(String reason) implements Outcome {
        }

        /** An empty line (the agent sends one on reconnect to end a cut line); ignored. */
        record Blank() implements Outcome {
        }
    }

    private static final class Reject extends Exception {
        Reject(String reason) {
            super(reason, null, false, false);
        }
    }

    /** Parses {@code line} (bytes without the newline) read at {@code receivedAt}. */
    public static Outcome parse(byte[] line, Instant receivedAt) {
        try {
            return parseOrReject(line, receivedAt);
        } catch (Reject r) {
            return new Outcome.Rejected(r.getMessage());
        } catch (RuntimeException e) {
            // Defensive: a parser bug must not become the guest's way to kill the reader thread.
            return new Outcome.Rejected("parser error: " + e.getClass().getSimpleName());
        }
    }

    private static Outcome parseOrReject(byte[] line, Instant at) throws Reject {
        if (line.length == 0) {
            return new Outcome.Blank();
        }
        if (line.length > MAX_RESULT_LINE || (line.length > MAX_LINE && !startsWith(line, "RESULT "))) {
            throw new Reject("line too long (" + line.length + " bytes)");
        }
        for (byte b : line) {
            if (b < 0x20 || b > 0x7e) {
                throw new Reject("non-printable byte 0x" + Integer.toHexString(b & 0xff));
            }
        }
        String text = new String(line, StandardCharsets.US_ASCII);
        String[] tokens = text.split(" ", -1);
        if (tokens.length - 1 > MAX_FIELDS) {
            throw new Reject("too many fields");
        }
        Map<String, String> f = new HashMap<>();
        for (int i = 1; i < tokens.length; i++) {
            String t = tokens[i];
            int eq = t.indexOf('=');
            if (eq <= 0) {
                throw new Reject("field " + i + " is not key=value");
            }
            String key = t.substring(0, eq);
            if (!KEY.matcher(key).matches()) {
                throw new Reject("bad field name");
            }
            if (f.put(key, t.substring(eq + 1)) != null) {
                throw new Reject("duplicate field " + key);
            }
        }
        String verb = tokens[0];
        GuestMessage m = switch (verb) {
            case "HELLO" -> hello(f, at);
            case "HB" -> heartbeat(f, at);
            case "RESULT" -> result(f);
            case "COUNTER" -> new GuestMessage.Counter(number(f, "id", 1, MAX_COUNT),
                    new CounterReading(number(f, "value", 0, MAX_COUNT), number(f, "seq", 0, MAX_COUNT), uuid(f, "boot")));
            case "PONG" -> new GuestMessage.Pong(number(f, "id", 1, MAX_COUNT));
            case "ERR" -> new GuestMessage.Error(number(f, "id", 0, MAX_COUNT), printable(base64(f, "msg", MAX_ERR_BYTES)));
            default -> throw new Reject("unknown verb");
        };
        return new Outcome.Parsed(m);
    }

    private static Hello hello(Map<String, String> f, Instant at) throws Reject {
        long v = number(f, "v", 1, 1);
        String agent = required(f, "agent");
        if (!AGENT_VERSION.matcher(agent).matches()) {
            throw new Reject("bad agent version");
        }
        return new Hello((int) v, agent, uuid(f, "boot"), number(f, "hb", 50, 60_000), at);
    }

    private static Heartbeat heartbeat(Map<String, String> f, Instant at) throws Reject {
        String load = required(f, "load");
        if (!LOAD.matcher(load).matches()) {
            throw new Reject("bad load");
        }
        String mem = required(f, "mem");
        if (!mem.equals("ok") && !mem.equals("bad")) {
            throw new Reject("bad mem");
        }
        return new Heartbeat(number(f, "seq", 1, MAX_COUNT), number(f, "up", 0, MAX_COUNT), Double.parseDouble(load),
                number(f, "counter", 0, MAX_COUNT), mem.equals("ok"), at);
    }

    private static GuestMessage.Result result(Map<String, String> f) throws Reject {
        long id = number(f, "id", 1, MAX_COUNT);
        int rc = (int) number(f, "rc", 0, 255);
        byte[] out = base64(f, "out", MAX_OUTPUT_BYTES);
        long trunc = number(f, "trunc", 0, 1);
        long ms = number(f, "ms", 0, MAX_COUNT);
        return new GuestMessage.Result(id, new ExecResult(rc, lenientUtf8(out), trunc == 1, ms));
    }

    private static String required(Map<String, String> f, String key) throws Reject {
        String v = f.get(key);
        if (v == null) {
            throw new Reject("missing " + key);
        }
        return v;
    }

    /** A decimal without sign or leading zeros (except "0"), within [min, max]. */
    static long number(Map<String, String> f, String key, long min, long max) throws Reject {
        String v = required(f, key);
        if (v.isEmpty() || v.length() > 18 || (v.length() > 1 && v.charAt(0) == '0')) {
            throw new Reject("bad " + key);
        }
        long n = 0;
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c < '0' || c > '9') {
                throw new Reject("bad " + key);
            }
            n = n * 10 + (c - '0');
        }
        if (n < min || n > max) {
            throw new Reject(key + " out of range");
        }
        return n;
    }

    private static String uuid(Map<String, String> f, String key) throws Reject {
        String v = required(f, key);
        if (!UUID.matcher(v).matches()) {
            throw new Reject("bad " + key);
        }
        return v;
    }

    /** Standard-alphabet base64 with padding; the decoded size must not exceed {@code maxBytes}. */
    private static byte[] base64(Map<String, String> f, String key, int maxBytes) throws Reject {
        String v = required(f, key);
        if (v.length() % 4 != 0 || (long) v.length() / 4 * 3 > maxBytes + 2L) {
            throw new Reject("bad " + key + " base64 length");
        }
        try {
            byte[] b = Base64.getDecoder().decode(v);
            if (b.length > maxBytes) {
                throw new Reject(key + " too long");
            }
            return b;
        } catch (IllegalArgumentException e) {
            throw new Reject("bad " + key + " base64");
        }
    }

    private static String lenientUtf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    /** Strict UTF-8 with control characters replaced: error messages end up in logs and terminals. */
    private static String printable(byte[] b) throws Reject {
        String s;
        try {
            s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw new Reject("msg is not UTF-8");
        }
        StringBuilder sb = new StringBuilder(s.length());
        CharBuffer.wrap(s).chars().forEach(c -> sb.append(Character.isISOControl(c) ? '?' : (char) c));
        return sb.toString();
    }

    private static boolean startsWith(byte[] line, String prefix) {
        if (line.length < prefix.length()) {
            return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
            if (line[i] != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
