package org.hpcvirt.backend.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The state stream over a Unix socket, with a Java peer standing in for QEMU. */
class StateSocketTest {
    @TempDir
    Path dir;

    private static byte[] data(int n) {
        byte[] b = new byte[n];
        new Random(42).nextBytes(b);
        return b;
    }

    private static String sha(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    @Test
    void sinkWritesWhatThePeerSentAndItsChecksum() throws Exception {
        byte[] payload = data(3 * (1 << 20) + 12345);
        Path file = dir.resolve("state.bin");
        try (StateSocket.Sink sink = new StateSocket.Sink(dir.resolve("s.sock"), file)) {
            assertThat(sink.uri()).isEqualTo("unix:" + dir.resolve("s.sock"));
            try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(dir.resolve("s.sock")))) {
                ByteBuffer b = ByteBuffer.wrap(payload);
                while (b.hasRemaining()) {
                    c.write(b);
                }
            }
            StateSocket.Copied got = sink.await(Duration.ofSeconds(10));
            assertThat(got.bytes()).isEqualTo(payload.length);
            assertThat(got.sha256()).isEqualTo(sha(payload));
        }
        assertThat(Files.readAllBytes(file)).isEqualTo(payload);
        assertThat(dir.resolve("s.sock")).doesNotExist();
    }

    @Test
    void sinkWithoutAPeerTimesOutAndReleasesTheSocket() {
        StateSocket.Sink sink = new StateSocket.Sink(dir.resolve("s.sock"), dir.resolve("state.bin"));
        assertThatThrownBy(() -> sink.await(Duration.ofMillis(200))).isInstanceOf(HpcvirtException.class)
                .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.TIMEOUT));
        assertThat(dir.resolve("s.sock")).doesNotExist();
    }

    @Test
    void sendStreamsTheFileAndHashesAllOfItEvenIfThePeerStopsEarly() throws Exception {
        byte[] payload = data(5 * (1 << 20));
        Path file = dir.resolve("state.bin");
        Files.write(file, payload);
        Path sock = dir.resolve("in.sock");
        for (boolean readAll : new boolean[] {true, false}) {
            Files.deleteIfExists(sock);
            try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                server.bind(UnixDomainSocketAddress.of(sock));
                var sent = StateSocket.send(sock, file);
                ByteArrayOutputStream received = new ByteArrayOutputStream();
                try (SocketChannel c = server.accept()) {
                    ByteBuffer b = ByteBuffer.allocate(64 * 1024);
                    while (c.read(b) >= 0 && (readAll || received.size() < (1 << 20))) {
                        received.write(b.array(), 0, b.position());
                        b.clear();
                    }
                }
                StateSocket.Copied got = sent.get(10, TimeUnit.SECONDS);
                assertThat(got.sha256()).as("checksum of the whole file").isEqualTo(sha(payload));
                assertThat(got.bytes()).isEqualTo(payload.length);
                assertThat(got.complete()).isEqualTo(readAll);
                if (readAll) {
                    assertThat(received.toByteArray()).isEqualTo(payload);
                }
            }
        }
    }
}
