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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
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

    /** The arguments of an EXECV line, decoded the way the agent does: comma-separated base64 items. */
    private static List<String> decodeArgv(String line) {
        String field = Arrays.stream(line.split(" ")).filter(t -> t.startsWith("argv=")).findFirst().orElseThrow()
                .substring("argv=".length());
        List<String> out = new ArrayList<>();
        for (String item : field.split(",", -1)) {
            out.add(new String(Base64.getDecoder().decode(item), StandardCharsets.UTF_8));
        }
        return out;
    }

    @Test
    void execWithArgvSendsEveryArgumentIntactAndMatchesTheResult() throws Exception {
        List<String> argv = List.of("printf", "%s|", "two words", "it's \"quoted\" $HOME `x` \\", "", "naïve ✓ 日本 🚀",
                "line\nbreak", ",", "=");
        var in = new BufferedReader(new InputStreamReader(Channels.newInputStream(agent), StandardCharsets.US_ASCII));
        List<String> received = new CopyOnWriteArrayList<>();
        Thread fake = new Thread(() -> {
            try {
                String line = in.readLine();
                received.add(line);
                String id = line.split(" ")[1].substring(3);
                agentSends("RESULT id=" + id + " rc=0 out=" + Base64.getEncoder().encodeToString("ok".getBytes(StandardCharsets.UTF_8))
                        + " trunc=0 ms=4\n");
                String second = in.readLine();
                received.add(second);
                agentSends("ERR id=" + second.split(" ")[1].substring(3) + " msg="
                        + Base64.getEncoder().encodeToString("busy: 4 commands running".getBytes(StandardCharsets.UTF_8)) + "\n");
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        fake.start();
        assertThat(channel.exec(argv, Duration.ofSeconds(3))).isEqualTo(new ExecResult(0, "ok", false, 4));
        assertThatThrownBy(() -> channel.exec(List.of("true"), Duration.ofSeconds(3)))
                .isInstanceOfSatisfying(HpcvirtException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.OPERATION_FAILED))
                .hasMessageContaining("busy");
        fake.join(5000);
        assertThat(received.get(0)).matches("EXECV id=[1-9][0-9]* timeout=3000 argv=[A-Za-z0-9+/=,]+");
        assertThat(decodeArgv(received.get(0))).isEqualTo(argv);
        assertThat(received.get(1)).endsWith(" argv=dHJ1ZQ==");
        assertThat(channel.stats().garbageLines()).isZero();
    }

    @Test
    void argvEncodingKeepsEmptyArgumentsAsEmptyItems() {
        assertThat(GuestChannel.encodeArgv(List.of("sh", "-c", "", "x"))).isEqualTo("c2g=,LWM=,,eA==");
        assertThat(GuestChannel.encodeArgv(List.of("a", ""))).isEqualTo("YQ==,");
        assertThat(GuestChannel.encodeArgv(List.of("é"))).isEqualTo("w6k=");
    }

    @Test
    void argvBoundsAreCheckedAndTheLongestLineFits() {
        List<String> tooMany = Collections.nCopies(GuestChannel.MAX_ARGS + 1, "x");
        List<String> bad = new ArrayList<>();
        bad.add("echo");
        bad.add(null);
        for (List<String> argv : List.of(List.<String>of(), List.of(""), List.of("", "x"), List.of("echo", "a\0b"),
                List.of("echo", "\uD800"), tooMany, List.of("echo", "x".repeat(3001)), bad)) {
            assertThatThrownBy(() -> GuestChannel.encodeArgv(argv)).as("%s", argv.size() > 3 ? argv.size() + " args" : argv)
                    .isInstanceOfSatisfying(HpcvirtException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_INPUT));
        }
        assertThatThrownBy(() -> GuestChannel.encodeArgv(null)).isInstanceOf(HpcvirtException.class);
        assertThat(GuestChannel.encodeArgv(Collections.nCopies(GuestChannel.MAX_ARGS, "x")).split(",", -1))
                .hasSize(GuestChannel.MAX_ARGS);
        // The longest accepted argv, with the largest id and timeout, is a line the agent accepts.
        String longest = GuestChannel.encodeArgv(List.of("echo", "y".repeat(2991)));
        assertThat(longest.length()).isLessThanOrEqualTo(GuestChannel.MAX_ARGV_FIELD);
        String line = "EXECV id=" + "9".repeat(18) + " timeout=86400000 argv=" + longest;
        assertThat(line.length()).isLessThanOrEqualTo(ChannelLineParser.MAX_LINE);
        assertThatThrownBy(() -> GuestChannel.encodeArgv(List.of("echo", "y".repeat(2998))))
                .hasMessageContaining("too long");
    }

    @Test
    void badArgvIsRefusedBeforeAnythingIsSent() throws Exception {
        assertThatThrownBy(() -> channel.exec(List.of(), Duration.ofSeconds(1))).isInstanceOf(HpcvirtException.class);
        assertThatThrownBy(() -> channel.exec(List.of("true"), Duration.ofDays(2))).hasMessageContaining("24h");
        var in = new BufferedReader(new InputStreamReader(Channels.newInputStream(agent), StandardCharsets.US_ASCII));
        Thread fake = new Thread(() -> {
            try {
                String ping = in.readLine();
                assertThat(ping).startsWith("PING id=");
                agentSends("PONG " + ping.split(" ")[1] + "\n");
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        fake.start();
        // the first line the agent gets after the refused calls is the ping
        assertThat(channel.ping(Duration.ofSeconds(5))).isTrue();
        fake.join(5000);
    }

    @Test
    void rejectsBadArgumentsBeforeSending() {
        assertThatThrownBy(() -> channel.exec("", Duration.ofSeconds(1))).isInstanceOf(HpcvirtException.class);
        assertThatThrownBy(() -> channel.exec("x".repeat(5000), Duration.ofSeconds(1))).isInstanceOf(HpcvirtException.class);
        assertThatThrownBy(() -> channel.setInterval(Duration.ofMillis(10))).isInstanceOf(HpcvirtException.class);
    }
}
