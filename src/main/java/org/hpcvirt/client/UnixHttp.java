package org.hpcvirt.client;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * One HTTP/1.1 request over a Unix domain socket and its whole response, with nothing but
 * {@link SocketChannel} and {@link UnixDomainSocketAddress}: no client to start, no thread pool, no
 * TLS or JMX set-up, a handful of JDK classes. It is meant for the CLI's one-shot requests to the
 * node daemon ({@code $HPCVIRT_HOME/hpcvirtd.sock}), where starting a general HTTP client costs more
 * than the request. Each call opens a connection, sends {@code Connection: close}, reads the response
 * (by {@code Content-Length}, {@code Transfer-Encoding: chunked}, or until the server closes) and
 * closes it; there is no keep-alive, no redirect, no compression, no streaming (a response that never
 * ends, like server-sent events, runs into the timeout).
 *
 * <p>Thread-safe: {@link #send} keeps no state between calls; concurrent calls use separate
 * connections.
 */
public final class UnixHttp {
    /** Largest response head (status line and headers) accepted. */
    static final int MAX_HEAD_BYTES = 64 * 1024;
    /** Largest response body accepted. */
    static final int MAX_BODY_BYTES = 256 * 1024 * 1024;

    private UnixHttp() {
    }

    /**
     * A response: status code, headers (names case-insensitive, values in the order received) and the
     * body's bytes (empty, never null).
     */
    public record Response(int status, Map<String, List<String>> headers, byte[] body) {
        /** The first value of header {@code name} (any case), or null. */
        public String header(String name) {
            List<String> v = headers.get(name);
            return v == null || v.isEmpty() ? null : v.get(0);
        }

        /** The body decoded as UTF-8. */
        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }

        /** True for a 2xx status. */
        public boolean successful() {
            return status / 100 == 2;
        }
    }

    /**
     * Sends {@code method path} to the server listening on {@code socket} and returns its response,
     * whatever the status (a 404 or 500 is a response, not an exception).
     *
     * @param socket   the server's Unix socket
     * @param method   {@code GET}, {@code POST}, {@code DELETE}…
     * @param path     the request target, already percent-encoded: {@code /v1/vms?after=3}
     * @param jsonBody the body, sent as {@code application/json} UTF-8 with its {@code Content-Length}, or null for none
     * @param headers  extra request headers (e.g. {@code Authorization}), or null; {@code Host},
     *                 {@code Connection} and the body's {@code Content-Type}/{@code Content-Length} are set here
     * @param timeout  deadline for the whole exchange, from connect to the body's last byte
     * @throws SocketTimeoutException if the deadline passes first
     * @throws ProtocolException      if the answer is not well-formed HTTP/1.x or too large
     * @throws IOException            if the socket is missing, nobody listens, or the connection breaks
     * @throws IllegalArgumentException if the method, path or a header would not make a well-formed request
     */
    public static Response send(Path socket, String method, String path, String jsonBody, Map<String, String> headers,
            Duration timeout) throws IOException {
        byte[] request = request(method, path, jsonBody, headers);
        long nanos;
        try {
            nanos = Math.max(1, timeout.toNanos());
        } catch (ArithmeticException e) {
            nanos = Long.MAX_VALUE / 4; // "forever": centuries
        }
        long deadline = System.nanoTime() + Math.min(nanos, Long.MAX_VALUE / 4);
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX); Selector selector = Selector.open()) {
            ch.configureBlocking(false);
            Exchange x = new Exchange(ch, ch.register(selector, 0), selector, deadline, method, path, socket);
            if (!ch.connect(UnixDomainSocketAddress.of(socket))) {
                x.await(SelectionKey.OP_CONNECT);
                while (!ch.finishConnect()) {
                    x.await(SelectionKey.OP_CONNECT);
                }
            }
            x.write(ByteBuffer.wrap(request));
            return x.readResponse("HEAD".equals(method));
        }
    }

    /** The request's bytes: request line, headers, blank line, body. */
    static byte[] request(String method, String path, String jsonBody, Map<String, String> headers) {
        if (method == null || method.isEmpty() || !all(method, 'A', 'Z')) {
            throw new IllegalArgumentException("HTTP method must be upper-case letters: " + method);
        }
        if (path == null || !path.startsWith("/") || !all(path, 0x21, 0x7e)) {
            throw new IllegalArgumentException("request path must start with / and be percent-encoded ASCII: " + path);
        }
        StringBuilder head = new StringBuilder(256).append(method).append(' ').append(path).append(" HTTP/1.1\r\n")
                .append("Host: localhost\r\nConnection: close\r\n");
        if (headers != null) {
            for (Map.Entry<String, String> h : headers.entrySet()) {
                String name = h.getKey();
                String value = h.getValue();
                if (name == null || name.isEmpty() || !token(name)) {
                    throw new IllegalArgumentException("bad header name: " + name);
                }
                if (value == null || !all(value.replace('\t', ' '), 0x20, 0x7e)) {
                    throw new IllegalArgumentException("header " + name + ": value must be printable ASCII on one line");
                }
                String lower = name.toLowerCase(Locale.ROOT);
                if (lower.equals("host") || lower.equals("connection") || lower.equals("content-length")
                        || lower.equals("transfer-encoding") || (jsonBody != null && lower.equals("content-type"))) {
                    throw new IllegalArgumentException("header " + name + " is set by UnixHttp");
                }
                head.append(name).append(": ").append(value).append("\r\n");
            }
        }
        byte[] body = jsonBody == null ? new byte[0] : jsonBody.getBytes(StandardCharsets.UTF_8);
        if (jsonBody != null) {
            head.append("Content-Type: application/json\r\n");
        }
        if (jsonBody != null || !(method.equals("GET") || method.equals("HEAD") || method.equals("DELETE"))) {
            head.append("Content-Length: ").append(body.length).append("\r\n");
        }
        head.append("\r\n");
        byte[] h = head.toString().getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[h.length + body.length];
        System.arraycopy(h, 0, all, 0, h.length);
        System.arraycopy(body, 0, all, h.length, body.length);
        return all;
    }

    // plain loops, no streams or lambdas: each of those costs start-up time in a fresh JVM

    /** True if every character of {@code s} is in [lo, hi]. */
    private static boolean all(String s, int lo, int hi) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < lo || c > hi) {
                return false;
            }
        }
        return true;
    }

    /** True if {@code s} is an HTTP token (a header name). */
    private static boolean token(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= 0x20 || c >= 0x7f || "()<>@,;:\\\"/[]?={}".indexOf(c) >= 0) {
                return false;
            }
        }
        return true;
    }

    /** One connection's reads and writes against the deadline, with a read buffer. */
    private static final class Exchange {
        private final SocketChannel ch;
        private final SelectionKey key;
        private final Selector selector;
        private final long deadline;
        private final String method;
        private final String path;
        private final Path socket;
        private final ByteBuffer in = ByteBuffer.allocate(16 * 1024).flip();
        private boolean eof;

        Exchange(SocketChannel ch, SelectionKey key, Selector selector, long deadline, String method, String path, Path socket) {
            this.ch = ch;
            this.key = key;
            this.selector = selector;
            this.deadline = deadline;
            this.method = method;
            this.path = path;
            this.socket = socket;
        }

        /** The exchange, for messages: {@code HTTP GET /v1/vms on /…/hpcvirtd.sock}. */
        private String what() {
            return "HTTP " + method + " " + path + " on " + socket;
        }

        /** Waits until the channel is ready for {@code ops}, or throws at the deadline. */
        void await(int ops) throws IOException {
            key.interestOps(ops);
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new SocketTimeoutException(what() + ": no complete answer within the timeout");
                }
                selector.selectedKeys().clear();
                if (selector.select(Math.max(1, left / 1_000_000)) > 0) {
                    return;
                }
            }
        }

        void write(ByteBuffer b) throws IOException {
            while (b.hasRemaining()) {
                if (ch.write(b) == 0) {
                    await(SelectionKey.OP_WRITE);
                }
            }
        }

        /** Reads more bytes into the buffer; false at end of stream. */
        private boolean fill() throws IOException {
            if (eof) {
                return false;
            }
            in.compact();
            try {
                while (true) {
                    int n = ch.read(in);
                    if (n > 0) {
                        return true;
                    }
                    if (n < 0) {
                        eof = true;
                        return false;
                    }
                    await(SelectionKey.OP_READ);
                }
            } finally {
                in.flip();
            }
        }

        /** A line ending in CRLF (or LF), without it, decoded as ISO-8859-1; at most {@code max} bytes. */
        private String line(int max) throws IOException {
            StringBuilder sb = new StringBuilder();
            while (true) {
                while (in.hasRemaining()) {
                    byte b = in.get();
                    if (b == '\n') {
                        int n = sb.length();
                        return n > 0 && sb.charAt(n - 1) == '\r' ? sb.substring(0, n - 1) : sb.toString();
                    }
                    if (sb.length() >= max) {
                        throw new ProtocolException(what() + ": response line longer than " + max + " bytes");
                    }
                    sb.append((char) (b & 0xff));
                }
                if (!fill()) {
                    throw new EOFException(what() + ": connection closed in the middle of the response head");
                }
            }
        }

        Response readResponse(boolean head) throws IOException {
            int budget = MAX_HEAD_BYTES;
            while (true) {
                String status = line(budget);
                budget -= status.length() + 2;
                // "HTTP/1.1 200 OK"
                if (!status.startsWith("HTTP/1.") || status.length() < 12 || status.charAt(8) != ' '
                        || (status.length() > 12 && status.charAt(12) != ' ')) {
                    throw new ProtocolException(what() + ": not an HTTP/1.x status line: " + abbreviate(status));
                }
                int code;
                try {
                    code = Integer.parseInt(status.substring(9, 12));
                } catch (NumberFormatException e) {
                    throw new ProtocolException(what() + ": bad status code in: " + abbreviate(status));
                }
                Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
                for (String h = line(budget); !h.isEmpty(); h = line(budget)) {
                    budget -= h.length() + 2;
                    if (budget <= 0) {
                        throw new ProtocolException(what() + ": response head larger than " + MAX_HEAD_BYTES + " bytes");
                    }
                    int colon = h.indexOf(':');
                    if (colon <= 0) {
                        throw new ProtocolException(what() + ": malformed header line: " + abbreviate(h));
                    }
                    String name = h.substring(0, colon).strip();
                    List<String> values = headers.get(name);
                    if (values == null) {
                        values = new ArrayList<>(1);
                        headers.put(name, values);
                    }
                    values.add(h.substring(colon + 1).strip());
                }
                if (code / 100 == 1 && code != 101) {
                    continue; // interim response (100 Continue…): the real one follows
                }
                byte[] body = head || code == 204 || code == 304 || code / 100 == 1 ? new byte[0] : body(headers);
                Map<String, List<String>> ro = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
                for (Map.Entry<String, List<String>> e : headers.entrySet()) {
                    ro.put(e.getKey(), List.copyOf(e.getValue()));
                }
                return new Response(code, Collections.unmodifiableMap(ro), body);
            }
        }

        private byte[] body(Map<String, List<String>> headers) throws IOException {
            List<String> te = headers.get("Transfer-Encoding");
            if (te != null) {
                String last = String.join(",", te).toLowerCase(Locale.ROOT);
                if (last.strip().endsWith("chunked")) {
                    return chunked();
                }
                return untilEof();
            }
            List<String> cl = headers.get("Content-Length");
            if (cl == null) {
                return untilEof();
            }
            long length = -1;
            for (String v : cl) {
                for (String one : v.split(",")) {
                    long n;
                    try {
                        n = Long.parseLong(one.strip());
                    } catch (NumberFormatException e) {
                        throw new ProtocolException(what() + ": bad Content-Length: " + abbreviate(v));
                    }
                    if (n < 0 || (length >= 0 && n != length)) {
                        throw new ProtocolException(what() + ": bad Content-Length: " + abbreviate(String.join(", ", cl)));
                    }
                    length = n;
                }
            }
            if (length > MAX_BODY_BYTES) {
                throw new ProtocolException(what() + ": response body of " + length + " bytes is larger than " + MAX_BODY_BYTES);
            }
            byte[] body = new byte[(int) length];
            read(body, 0, body.length);
            return body;
        }

        private void read(byte[] into, int off, int len) throws IOException {
            while (len > 0) {
                if (!in.hasRemaining() && !fill()) {
                    throw new EOFException(what() + ": connection closed " + len + " bytes before the end of the body");
                }
                int n = Math.min(len, in.remaining());
                in.get(into, off, n);
                off += n;
                len -= n;
            }
        }

        private byte[] chunked() throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            while (true) {
                String sizeLine = line(1024);
                int semi = sizeLine.indexOf(';');
                String hex = (semi < 0 ? sizeLine : sizeLine.substring(0, semi)).strip();
                long size;
                try {
                    size = hex.isEmpty() || hex.length() > 8 ? -1 : Long.parseLong(hex, 16);
                } catch (NumberFormatException e) {
                    size = -1;
                }
                if (size < 0) {
                    throw new ProtocolException(what() + ": bad chunk size line: " + abbreviate(sizeLine));
                }
                if (size == 0) {
                    int budget = MAX_HEAD_BYTES;
                    for (String t = line(budget); !t.isEmpty(); t = line(budget)) {
                        budget -= t.length() + 2; // trailers: read and dropped
                        if (budget <= 0) {
                            throw new ProtocolException(what() + ": trailers larger than " + MAX_HEAD_BYTES + " bytes");
                        }
                    }
                    return out.toByteArray();
                }
                if (out.size() + size > MAX_BODY_BYTES) {
                    throw new ProtocolException(what() + ": response body larger than " + MAX_BODY_BYTES + " bytes");
                }
                byte[] chunk = new byte[(int) size];
                read(chunk, 0, chunk.length);
                out.write(chunk, 0, chunk.length);
                if (!line(2).isEmpty()) {
                    throw new ProtocolException(what() + ": chunk not followed by CRLF");
                }
            }
        }

        private byte[] untilEof() throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            do {
                if (out.size() + in.remaining() > MAX_BODY_BYTES) {
                    throw new ProtocolException(what() + ": response body larger than " + MAX_BODY_BYTES + " bytes");
                }
                out.write(in.array(), in.arrayOffset() + in.position(), in.remaining());
                in.position(in.limit());
            } while (fill());
            return out.toByteArray();
        }

        private static String abbreviate(String s) {
            return s.length() <= 80 ? s : s.substring(0, 80) + "…";
        }
    }
}
