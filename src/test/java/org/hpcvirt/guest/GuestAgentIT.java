package org.hpcvirt.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Boots the golden image under QEMU TCG (one guest shared by the class) and drives the agent through
 * {@link GuestChannel}: heartbeats, exec, the data disk, the counter, reconnecting, garbage.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GuestAgentIT {
    private static final Duration BOOT_DEADLINE = Duration.ofSeconds(60);
    private static Path tmp;
    private static Path sock;
    private static Image image;
    private static Process qemu;
    private static long startedNanos;
    private static volatile long firstHeartbeatNanos;
    private static final List<Hello> hellos = new CopyOnWriteArrayList<>();
    private static final List<Heartbeat> beats = new CopyOnWriteArrayList<>();
    private static GuestChannel channel;

    private static GuestChannel.Listener listener(AtomicBoolean disconnected) {
        return new GuestChannel.Listener() {
            @Override
            public void onHello(Hello hello) {
                hellos.add(hello);
            }

            @Override
            public void onHeartbeat(Heartbeat heartbeat) {
                if (firstHeartbeatNanos == 0) {
                    firstHeartbeatNanos = System.nanoTime();
                }
                beats.add(heartbeat);
            }

            @Override
            public void onDisconnected() {
                disconnected.set(true);
            }
        };
    }

    @BeforeAll
    static void boot() throws Exception {
        Path images = org.hpcvirt.it.TestNode.sharedImages();
        image = new ImageStore(images).get(org.hpcvirt.it.TestNode.IMAGE);
        tmp = Files.createTempDirectory(Path.of("/tmp"), "hpcvirt-it-");
        sock = tmp.resolve("agent.sock");
        Path disk = new ImageStore(images).createDataDisk(image, tmp.resolve("data.qcow2"), 64L << 20);
        List<String> cmd = List.of("qemu-system-x86_64", "-machine", "q35", "-accel", "tcg", "-m", "128", "-smp", "1",
                "-nodefaults", "-no-user-config", "-display", "none",
                "-kernel", image.kernel().toString(), "-initrd", image.initramfs().toString(),
                "-append", "console=ttyS0 quiet hpcvirt.hb=200 hpcvirt.name=t1 hpcvirt.disk=data panic=-1",
                "-serial", "file:" + tmp.resolve("console.log"),
                "-device", "virtio-serial-pci",
                "-chardev", "socket,id=agent,path=" + sock + ",server=on,wait=off",
                "-device", "virtserialport,chardev=agent,name=org.hpcvirt.agent",
                "-device", "pvpanic-pci",
                "-drive", "file=" + disk + ",if=virtio,format=qcow2",
                "-no-reboot");
        startedNanos = System.nanoTime();
        qemu = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("qemu.log").toFile()).start();
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(sock) || !qemu.isAlive());
        assertThat(qemu.isAlive()).as("qemu running; log: %s", tmp.resolve("qemu.log")).isTrue();
        channel = GuestChannel.connect(sock, listener(new AtomicBoolean()));
    }

    @AfterAll
    static void kill() throws Exception {
        try {
            if (channel != null) {
                channel.close();
            }
        } finally {
            if (qemu != null) {
                qemu.destroyForcibly();
                qemu.waitFor(10, TimeUnit.SECONDS);
            }
            if (tmp != null) {
                String console = Files.exists(tmp.resolve("console.log"))
                        ? Files.readString(tmp.resolve("console.log"), StandardCharsets.ISO_8859_1) : "";
                System.out.println("guest console:\n" + console);
                org.hpcvirt.api.DirectoryTree.delete(tmp);
            }
        }
    }

    @Test
    @Order(1)
    void heartbeatsArriveAfterBoot() {
        await().atMost(BOOT_DEADLINE).until(() -> beats.size() >= 3);
        System.out.printf("boot to first heartbeat: %d ms%n", (firstHeartbeatNanos - startedNanos) / 1_000_000);
        assertThat(hellos).isNotEmpty();
        assertThat(hellos.get(0).heartbeatIntervalMs()).isEqualTo(200);
        assertThat(beats).allMatch(Heartbeat::memOk);
        for (int i = 1; i < beats.size(); i++) {
            assertThat(beats.get(i).seq()).isGreaterThan(beats.get(i - 1).seq());
        }
    }

    @Test
    @Order(2)
    void execRunsShellCommands() {
        ExecResult r = channel.exec("echo hi; uname -r; hostname", Duration.ofSeconds(20));
        assertThat(r.exitCode()).isZero();
        assertThat(r.output()).isEqualTo("hi\n" + image.kernelVersion() + "\nt1\n");
        assertThat(channel.exec("exit 7", Duration.ofSeconds(20)).exitCode()).isEqualTo(7);
        ExecResult killed = channel.exec("sleep 30", Duration.ofMillis(500));
        assertThat(killed.exitCode()).isEqualTo(137);
        ExecResult big = channel.exec("head -c 60000 /dev/zero | tr '\\0' x", Duration.ofSeconds(20));
        assertThat(big.truncated()).isTrue();
        assertThat(big.output()).hasSize(ChannelLineParser.MAX_OUTPUT_BYTES);
    }

    @Test
    @Order(3)
    void dataDiskIsWritable() {
        ExecResult w = channel.exec("grep ' /data ext4 ' /proc/mounts && echo payload-42 > /data/f && sync && cat /data/f",
                Duration.ofSeconds(20));
        assertThat(w.exitCode()).as(w.output()).isZero();
        assertThat(w.output()).endsWith("payload-42\n");
    }

    @Test
    @Order(4)
    void counterGrows() {
        CounterReading a = channel.counter(Duration.ofSeconds(10));
        await().atMost(Duration.ofSeconds(10)).until(() -> channel.counter(Duration.ofSeconds(10)).value() > a.value() + 20);
        assertThat(a.bootId()).isEqualTo(hellos.get(0).bootId());
        assertThat(a.lastHeartbeatSeq()).isPositive();
    }

    @Test
    @Order(5)
    void agentSurvivesTheHostReconnecting() {
        AtomicBoolean disconnected = new AtomicBoolean();
        channel.close();
        long seqBefore = beats.get(beats.size() - 1).seq();
        int hellosBefore = hellos.size();
        // While nobody listens the agent keeps generating (and dropping) heartbeats; a new connection
        // must get HELLO again and heartbeats that continue the sequence.
        channel = GuestChannel.connect(sock, listener(disconnected));
        await().atMost(Duration.ofSeconds(20)).until(() -> hellos.size() > hellosBefore);
        Hello again = hellos.get(hellos.size() - 1);
        assertThat(again.bootId()).isEqualTo(hellos.get(0).bootId());
        int beatsAtReconnect = beats.size();
        await().atMost(Duration.ofSeconds(20)).until(() -> beats.size() >= beatsAtReconnect + 3);
        assertThat(beats.get(beats.size() - 1).seq()).isGreaterThan(seqBefore);
        assertThat(channel.ping(Duration.ofSeconds(10))).isTrue();
        assertThat(disconnected).isFalse();
    }

    @Test
    @Order(6)
    void agentSurvivesGarbage() {
        channel.sendRaw(("\u0000\u00ff\nEXEC\nEXEC id=1 timeout=x cmd=!!\nPING id=0\nINTERVAL ms=1\n"
                + "x".repeat(10_000) + "\nNOPE id=3\n  \n" + "PING id=9 ".repeat(20) + "\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        for (int i = 0; i < 50; i++) {
            byte[] junk = new byte[200];
            new java.util.Random(i).nextBytes(junk);
            channel.sendRaw(junk);
        }
        channel.sendRaw("\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(channel.ping(Duration.ofSeconds(10))).isTrue();
        assertThat(channel.exec("echo alive", Duration.ofSeconds(20)).output()).isEqualTo("alive\n");
        int n = beats.size();
        await().atMost(Duration.ofSeconds(10)).until(() -> beats.size() > n + 2);
        // The agent answers "EXEC id=1 ..." and "NOPE id=3" with ERR id=1 / id=3: ids this host never
        // used, so the host counts both as garbage; every other rejection is ERR id=0.
        assertThat(channel.stats().garbageLines()).isEqualTo(2);
    }

    @Test
    @Order(3)
    void execWithArgvPassesEveryArgumentUnchangedWithoutAShell() {
        ExecResult two = channel.exec(List.of("sh", "-c", "echo a; echo b"), Duration.ofSeconds(20));
        assertThat(two.exitCode()).isZero();
        assertThat(two.output()).isEqualTo("a\nb\n");
        ExecResult write = channel.exec(List.of("sh", "-c", "echo precious > /tmp/f"), Duration.ofSeconds(20));
        assertThat(write.exitCode()).as(write.output()).isZero();
        assertThat(channel.exec(List.of("cat", "/tmp/f"), Duration.ofSeconds(20)).output()).isEqualTo("precious\n");

        List<String> args = List.of("two words", "it's \"quoted\"", "", "naïve ✓ 日本", "$HOME `hostname` *", "line\nbreak", "  ");
        List<String> argv = new java.util.ArrayList<>(List.of("printf", "%s|"));
        argv.addAll(args);
        ExecResult printf = channel.exec(argv, Duration.ofSeconds(20));
        assertThat(printf.exitCode()).isZero();
        assertThat(printf.output()).isEqualTo(String.join("|", args) + "|");
        // not a shell: a ';' or a '>' is an argument like any other
        assertThat(channel.exec(List.of("echo", "a;", "b", ">", "/tmp/g"), Duration.ofSeconds(20)).output())
                .isEqualTo("a; b > /tmp/g\n");
        assertThat(channel.exec(List.of("ls", "/tmp/g"), Duration.ofSeconds(20)).exitCode()).isNotZero();
    }

    @Test
    @Order(3)
    void execWithArgvReportsWhatCannotRunAndKeepsTheTimeout() {
        ExecResult missing = channel.exec(List.of("no-such-program", "x"), Duration.ofSeconds(20));
        assertThat(missing.exitCode()).isEqualTo(127);
        assertThat(missing.output()).isEqualTo("hpcvirt-agent: cannot run 'no-such-program': No such file or directory\n");
        channel.exec("echo 'echo hi' > /tmp/noexec; chmod 644 /tmp/noexec", Duration.ofSeconds(20));
        ExecResult notExecutable = channel.exec(List.of("/tmp/noexec"), Duration.ofSeconds(20));
        assertThat(notExecutable.exitCode()).isEqualTo(126);
        assertThat(notExecutable.output()).contains("Permission denied");
        assertThat(channel.exec(List.of("sh", "-c", "exit 9"), Duration.ofSeconds(20)).exitCode()).isEqualTo(9);
        ExecResult killed = channel.exec(List.of("sleep", "30"), Duration.ofMillis(500));
        assertThat(killed.exitCode()).isEqualTo(137);
        assertThat(killed.elapsedMs()).isLessThan(10_000);
    }

    @Test
    @Order(3)
    void execWithArgvAtItsBoundsAndMalformedRequestsAreRefusedByTheAgent() {
        // 256 arguments and the longest line both reach the program intact
        List<String> many = new java.util.ArrayList<>(List.of("printf", "%s"));
        many.addAll(java.util.Collections.nCopies(GuestChannel.MAX_ARGS - 2, "x"));
        assertThat(channel.exec(many, Duration.ofSeconds(20)).output()).isEqualTo("x".repeat(GuestChannel.MAX_ARGS - 2));
        String longArg = "y".repeat(2988);
        assertThat(GuestChannel.encodeArgv(List.of("printf", "%s", longArg)).length()).isGreaterThan(3990);
        assertThat(channel.exec(List.of("printf", "%s", longArg), Duration.ofSeconds(20)).output()).isEqualTo(longArg);

        String x = ",eA==";
        Map<String, String> refused = Map.of(
                "timeout=5000 argv=cHJpbnRm" + x.repeat(GuestChannel.MAX_ARGS), "more than 256 arguments",
                "timeout=5000 argv=ZWNobw==,AA==", "NUL byte",
                "timeout=5000 argv=ZWNobw==,!!!!", "not valid base64",
                "timeout=5000 argv=ZWNobw==,eA", "not valid base64",
                "timeout=5000 argv=", "program name is empty",
                "timeout=5000 argv=,eA==", "program name is empty",
                "timeout=5000", "EXECV needs id, timeout=1..86400000 and argv",
                "timeout=0 argv=dHJ1ZQ==", "EXECV needs id");
        refused.forEach((fields, why) -> assertThatThrownBy(() -> channel.execRaw("EXECV", fields, Duration.ofSeconds(10)))
                .as(fields.length() > 60 ? fields.substring(0, 60) + "…" : fields)
                .isInstanceOfSatisfying(HpcvirtException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.OPERATION_FAILED))
                .hasMessageContaining(why));
        assertThat(channel.exec(List.of("echo", "still", "here"), Duration.ofSeconds(20)).output()).isEqualTo("still here\n");
    }

    @Test
    @Order(7)
    void intervalCanBeChanged() {
        channel.setInterval(Duration.ofMillis(1000));
        int n = beats.size();
        await().atMost(Duration.ofSeconds(10)).until(() -> beats.size() > n + 3);
        Heartbeat a = beats.get(beats.size() - 2);
        Heartbeat b = beats.get(beats.size() - 1);
        assertThat(b.uptimeMs() - a.uptimeMs()).isBetween(800L, 1500L);
    }
}
