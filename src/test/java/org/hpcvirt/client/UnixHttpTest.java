package org.hpcvirt.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** UnixHttp against a tiny Unix-socket server in the test that answers each connection with canned bytes. */
class UnixHttpTest {
    private static final Duration T = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private TinyServer server;

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    /** A request as the server read it: head (up to the blank line) and body (by Content-Length). */
    record Seen(String head, String body) {
    }

    /** What the server writes back on one connection: pieces written one after the other, then close (unless hang). */
    record Answer(List<byte[]> pieces, boolean hang) {
        static Answer of(String... pieces) {
            List<byte[]> p = new ArrayList<>();
            for (String s : pieces) {
                p.add(s.getBytes(StandardCharsets.UTF_8));
            }
            return new Answer(p, false);
        }
    }

    /** Accepts connections on a Unix socket, reads each request fully, records it and writes the next answer. */
    static final class TinyServer implements AutoCloseable {
        final Path socket;
        final ServerSocketChannel ss;
        final BlockingQueue<Seen> seen = new LinkedBlockingQueue<>();
        final BlockingQueue<Answer> answers = new LinkedBlockingQueue<>();
        final List<SocketChannel> open = new ArrayList<>();
        final ExecutorService pool = Executors.newCachedThreadPool();

        TinyServer(Path socket) throws IOException {
            this.socket = socket;
            ss = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            ss.bind(UnixDomainSocketAddress.of(socket), 64); // listening before any client connects: no waiting
            pool.submit(this::acceptLoop);
        }

        private Void acceptLoop() throws IOException {
            while (true) {
                SocketChannel c = ss.accept();
                synchronized (open) {
                    open.add(c);
                }
                pool.submit(() -> serve(c));
            }
        }

        private Void serve(SocketChannel c) throws Exception {
            ByteArrayOutputStream req = new ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(4096);
            int headEnd;
            while ((headEnd = indexOf(req.toByteArray(), "\r\n\r\n")) < 0) {
                buf.clear();
                if (c.read(buf) < 0) {
                    return null;
                }
                req.write(buf.array(), 0, buf.position());
            }
            String head = new String(req.toByteArray(), 0, headEnd, StandardCharsets.ISO_8859_1);
            int length = head.lines().filter(l -> l.toLowerCase().startsWith("content-length:"))
                    .mapToInt(l -> Integer.parseInt(l.substring(15).strip())).findFirst().orElse(0);
            while (req.size() < headEnd + 4 + length) {
                buf.clear();
                if (c.read(buf) < 0) {
                    break;
                }
                req.write(buf.array(), 0, buf.position());
            }
            byte[] all = req.toByteArray();
            seen.add(new Seen(head, new String(all, headEnd + 4, all.length - headEnd - 4, StandardCharsets.UTF_8)));
            Answer a = answers.take();
            for (byte[] p : a.pieces()) {
                ByteBuffer b = ByteBuffer.wrap(p);
                while (b.hasRemaining()) {
                    c.write(b);
                }
            }
            if (!a.hang()) {
                c.close();
            }
            return null;
        }

        Seen next() throws InterruptedException {
            Seen s = seen.poll(10, TimeUnit.SECONDS);
            assertThat(s).as("a request reached the server").isNotNull();
            return s;
        }

        @Override
        public void close() throws Exception {
            ss.close();
            synchronized (open) {
                for (SocketChannel c : open) {
                    c.close();
                }
            }
            pool.shutdownNow();
            pool.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    static int indexOf(byte[] hay, String needle) {
        byte[] n = needle.getBytes(StandardCharsets.US_ASCII);
        outer:
        for (int i = 0; i + n.length <= hay.length; i++) {
            for (int j = 0; j < n.length; j++) {
                if (hay[i + j] != n[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private TinyServer server() throws IOException {
        server = new TinyServer(dir.resolve("s.sock"));
        return server;
    }

    @Test
    void getWithContentLength() throws Exception {
        TinyServer s = server();
        s.answers.add(Answer.of("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Two: a\r\nx-two: b\r\nContent-Length: 9\r\n\r\n[{\"a\":1}]"));
        UnixHttp.Response r = UnixHttp.send(s.socket, "GET", "/v1/vms?after=3", null, Map.of("Authorization", "Bearer t"), T);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.successful()).isTrue();
        assertThat(r.bodyText()).isEqualTo("[{\"a\":1}]");
        assertThat(r.header("content-type")).isEqualTo("application/json");
        assertThat(r.headers().get("X-TWO")).containsExactly("a", "b");
        Seen seen = s.next();
        assertThat(seen.head()).startsWith("GET /v1/vms?after=3 HTTP/1.1\r\n").contains("\r\nConnection: close")
                .contains("\r\nHost: ").contains("\r\nAuthorization: Bearer t").doesNotContain("Content-Length");
        assertThat(seen.body()).isEmpty();
    }

    @Test
    void postSendsTheJsonBodyWithItsLength() throws Exception {
        TinyServer s = server();
        s.answers.add(Answer.of("HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}"));
        String json = "{\"name\":\"vm-é\"}";
        UnixHttp.Response r = UnixHttp.send(s.socket, "POST", "/v1/vms", json, null, T);
        assertThat(r.status()).isEqualTo(201);
        Seen seen = s.next();
        assertThat(seen.head()).startsWith("POST /v1/vms HTTP/1.1\r\n").contains("\r\nContent-Type: application/json")
                .contains("\r\nContent-Length: " + json.getBytes(StandardCharsets.UTF_8).length);
        assertThat(seen.body()).isEqualTo(json);
    }

    @Test
    void postWithoutBodySaysContentLengthZero() throws Exception {
        TinyServer s = server();
        s.answers.add(Answer.of("HTTP/1.1 204 No Content\r\n\r\n"));
        UnixHttp.Response r = UnixHttp.send(s.socket, "POST", "/v1/daemon/stop", null, Map.of(), T);
        assertThat(r.status()).isEqualTo(204);
        assertThat(r.body()).isEmpty();
        assertThat(s.next().head()).contains("\r\nContent-Length: 0");
    }

    @Test
    void chunkedBodyInPiecesWithExtensionsAndTrailers() throws Exception {
        TinyServer s = server();
        s.answers.add(Answer.of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "4\r\nWiki\r", "\n5;ext=1\r\npe", "dia\r\n",
                "E\r\n in\r\n\r\nchunks.\r\n0\r\nX-Trailer: 1\r\n\r\n"));
        UnixHttp.Response r = UnixHttp.send(s.socket, "GET", "/x", null, null, T);
        assertThat(r.bodyText()).isEqualTo("Wikipedia in\r\n\r\nchunks.");
    }

    @Test
    void bodyUntilCloseWhenNoLengthIsGiven() throws Exception {
        TinyServer s = server();
        s.answers.add(Answer.of("HTTP/1.0 200 OK\r\n\r\n", "part one, ", "part two"));
        assertThat(UnixHttp.send(s.socket, "GET", "/x", null, null, T).bodyText()).isEqualTo("part one, part two");
    }

    @Test
    void largeBodyArrivesWhole() throws Exception {
        TinyServer s = server();
        byte[] big = new byte[3 * 1024 * 1024 + 17];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31);
        }
        byte[] head = ("HTTP/1.1 200 OK\r\nContent-Length: " + big.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        s.answers.add(new Answer(List.of(head, big), false));
        assertThat(Arrays.equals(UnixHttp.send(s.socket, "GET", "/big", null, null, T).body(), big)).isTrue();
    }

    @Test
    void errorStatusIsAResponseNotAnException() throws Exception {
        TinyServer s = server();
        String err = "{\"code\":\"NOT_FOUND\",\"message\":\"no vm\"}";
        s.answers.add(Answer.of("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: " + err.length() + "\r\n\r\n" + err));
        UnixHttp.Response r = UnixHttp.send(s.socket, "GET", "/v1/vms/nope", null, null, T);
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.successful()).isFalse();
        assertThat(r.bodyText()).contains("NOT_FOUND");
    }

    @Test
    void headResponseHasNoBodyDespiteItsLength() throws Exception {
        TinyServer s = server();
        s.answers.add(new Answer(List.of("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n".getBytes(StandardCharsets.US_ASCII)), true));
        assertThat(UnixHttp.send(s.socket, "HEAD", "/x", null, null, T).body()).isEmpty();
    }

    @Test
    void silentServerRunsIntoTheTimeout() throws Exception {
        TinyServer s = server();
        s.answers.add(new Answer(List.of("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc".getBytes(StandardCharsets.US_ASCII)), true));
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> UnixHttp.send(s.socket, "GET", "/slow", null, null, Duration.ofMillis(300)))
                .isInstanceOf(SocketTimeoutException.class).hasMessageContaining("GET /slow");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isBetween(Duration.ofMillis(290), Duration.ofSeconds(5));
    }

    @Test
    void truncatedOrMalformedAnswersAreProtocolErrors() throws Exception {
        TinyServer s = server();
        s.answers.add(Answer.of("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"));
        assertThatThrownBy(() -> UnixHttp.send(s.socket, "GET", "/a", null, null, T)).isInstanceOf(EOFException.class);
        s.answers.add(Answer.of("SSH-2.0-OpenSSH\r\n\r\n"));
        assertThatThrownBy(() -> UnixHttp.send(s.socket, "GET", "/b", null, null, T)).isInstanceOf(ProtocolException.class);
        s.answers.add(Answer.of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"));
        assertThatThrownBy(() -> UnixHttp.send(s.socket, "GET", "/c", null, null, T)).isInstanceOf(ProtocolException.class);
        s.answers.add(Answer.of("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"));
        assertThatThrownBy(() -> UnixHttp.send(s.socket, "GET", "/d", null, null, T)).isInstanceOf(ProtocolException.class);
        s.answers.add(Answer.of("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n"));
        assertThatThrownBy(() -> UnixHttp.send(s.socket, "GET", "/e", null, null, T)).isInstanceOf(ProtocolException.class);
    }

    @Test
    void missingSocketOrNobodyListeningIsAnIoException() throws Exception {
        assertThatThrownBy(() -> UnixHttp.send(dir.resolve("none.sock"), "GET", "/", null, null, T)).isInstanceOf(IOException.class);
        Path stale = dir.resolve("stale.sock");
        try (ServerSocketChannel ss = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            ss.bind(UnixDomainSocketAddress.of(stale));
        }
        assertThat(stale).exists(); // the file stays after the listener is gone, as after a daemon crash
        assertThatThrownBy(() -> UnixHttp.send(stale, "GET", "/", null, null, T)).isInstanceOf(IOException.class);
        Files.delete(stale);
    }

    @Test
    void requestsThatWouldBeMalformedAreRefusedBeforeSending() {
        Path p = dir.resolve("unused.sock");
        assertThatThrownBy(() -> UnixHttp.send(p, "GET", "/a b", null, null, T)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> UnixHttp.send(p, "GET", "no-slash", null, null, T)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> UnixHttp.send(p, "get", "/", null, null, T)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> UnixHttp.send(p, "GET", "/", null, Map.of("X", "a\r\nInjected: 1"), T))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> UnixHttp.send(p, "GET", "/", null, Map.of("Bad Name", "v"), T)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> UnixHttp.send(p, "GET", "/", null, Map.of("Content-Length", "5"), T))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void concurrentCallsUseTheirOwnConnections() throws Exception {
        TinyServer s = server();
        int n = 16;
        for (int i = 0; i < n; i++) {
            s.answers.add(Answer.of("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        }
        ExecutorService clients = Executors.newFixedThreadPool(4);
        try {
            List<Future<UnixHttp.Response>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String path = "/r" + i;
                fs.add(clients.submit(() -> UnixHttp.send(s.socket, "GET", path, null, null, T)));
            }
            for (Future<UnixHttp.Response> f : fs) {
                assertThat(f.get(10, TimeUnit.SECONDS).bodyText()).isEqualTo("ok");
            }
        } finally {
            clients.shutdownNow();
        }
        List<String> paths = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            paths.add(s.next().head().split(" ")[1]);
        }
        assertThat(paths).hasSize(n).doesNotHaveDuplicates();
    }
}
