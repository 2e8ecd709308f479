package org.hpcvirt.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** GuestChannel against a fake agent on a Unix socket (no QEMU). */
class GuestChannelTest {
    private Path dir;
    private ServerSocketChannel server;
    private SocketChannel agent;
    private GuestChannel channel;
    private final List<Heartbeat> beats = new CopyOnWriteArrayList<>();
    private final List<String> garbage = new CopyOnWriteArrayList<>();
    private final AtomicBoolean disconnected = new AtomicBoolean();

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createTempDirectory(Path.of("/tmp"), "gct");
        Path sock = dir.resolve("s");
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(sock));
        channel = GuestChannel.connect(sock, new GuestChannel.Listener() {
            @Override
            public void onHeartbeat(Heartbeat heartbeat) {
                beats.add(heartbeat);
            }

            @Override
            public void onGarbage(String reason) {
                garbage.add(reason);
            }

            @Override
            public void onDisconnected() {
                disconnected.set(true);
            }
        });
        agent = server.accept();
        ByteBuffer greeting = ByteBuffer.allocate("HELLO v=1\n".length());
        while (greeting.hasRemaining()) {
            agent.read(greeting);
        }
        assertThat(new String(greeting.array(), StandardCharsets.US_ASCII)).isEqualTo("HELLO v=1\n");
    }

    @AfterEach
    void tearDown() throws Exception {
        channel.close();
        agent.close();
        server.close();
        org.hpcvirt.api.DirectoryTree.delete(dir);
    }

    private void agentSends(String text) throws Exception {
        ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.ISO_8859_1));
        while (b.hasRemaining()) {
            agent.write(b);
        }
    }

    @Test
    void countsGarbageOversizeAndUnmatchedRepliesAndKeepsGoing() throws Exception {
        agentSends("garbage\nPONG id=77\n" + "z".repeat(10_000) + "\n\u00ff\u0000\n\nHB seq=1 up=5 load=0.00 counter=1 mem=ok\n");
        await().atMost(Duration.ofSeconds(5)).until(() -> beats.size() == 1);
        assertThat(channel.stats()).isEqualTo(new GuestChannel.Stats(1, 3, 0, 1));
        assertThat(garbage).hasSize(4).contains("reply to no outstanding request", "line over the length limit");
    }

    @Test
    void matchesRepliesByIdAndKind() throws Exception {
        var in = new BufferedReader(new InputStreamReader(Channels.newInputStream(agent), StandardCharsets.US_ASCII));
        Thread fake = new Thread(() -> {
            try {
                String ping = in.readLine();
                String id = ping.substring("PING id=".length());
                // a reply of the wrong kind for this id is garbage; the right one completes the call
                agentSends("RESULT id=" + id + " rc=0 out= trunc=0 ms=1\nPONG id=" + id + "\n");
                String exec = in.readLine();
                String eid = exec.split(" ")[1].substring(3);
                assertThat(exec).contains("timeout=2000").endsWith("cmd=ZWNobyBoaQ==");
                agentSends("RESULT id=" + eid + " rc=3 out=aGkK trunc=0 ms=9\n");
                String counter = in.readLine();
                agentSends("ERR id=" + counter.substring("COUNTER id=".length()) + " msg=YnVzeQ==\n");
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        fake.start();
        assertThat(channel.ping(Duration.ofSeconds(5))).isTrue();
        assertThat(channel.exec("echo hi", Duration.ofSeconds(2))).isEqualTo(new ExecResult(3, "hi\n", false, 9));
        assertThatThrownBy(() -> channel.counter(Duration.ofSeconds(5)))
                .isInstanceOfSatisfying(HpcvirtException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.OPERATION_FAILED))
                .hasMessageContaining("busy");
        fake.join(5000);
        assertThat(channel.stats().garbageLines()).isEqualTo(1);
    }

    @Test
    void timesOutWithoutAnAnswerAndPingSaysFalse() {
        assertThatThrownBy(() -> channel.counter(Duration.ofMillis(100)))
                .isInstanceOfSatisfying(HpcvirtException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT));
        assertThat(channel.ping(Duration.ofMillis(100))).isFalse();
    }

    @Test
    void rateLimitsAFloodingGuest() throws Exception {
        agentSends("HB seq=1 up=5 load=0.00 counter=1 mem=ok\n".repeat(1000));
        await().atMost(Duration.ofSeconds(5)).until(() -> channel.stats().linesOk() + channel.stats().rateLimited() == 1000);
        assertThat(channel.stats().rateLimited()).isGreaterThanOrEqualTo(700);
        assertThat(beats.size()).isBetween(200, 300);
    }

    @Test
    void disconnectFailsPendingRequestsAndNotifies() throws Exception {
        Thread closer = new Thread(() -> {
            try {
                agent.read(ByteBuffer.allocate(100));
                agent.close();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        closer.start();
        assertThatThrownBy(() -> channel.counter(Duration.ofSeconds(10))).hasMessageContaining("closed");
        await().atMost(Duration.ofSeconds(5)).untilTrue(disconnected);
        assertThat(channel.isClosed()).isTrue();
    }

    @Test
    void rejectsBadArgumentsBeforeSending() {
        assertThatThrownBy(() -> channel.exec("", Duration.ofSeconds(1))).isInstanceOf(HpcvirtException.class);
        assertThatThrownBy(() -> channel.exec("x".repeat(5000), Duration.ofSeconds(1))).isInstanceOf(HpcvirtException.class);
        assertThatThrownBy(() -> channel.setInterval(Duration.ofMillis(10))).isInstanceOf(HpcvirtException.class);
    }
}
