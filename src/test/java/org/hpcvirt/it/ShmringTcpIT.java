package org.hpcvirt.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.hpcvirt.api.DirectoryTree;
import org.hpcvirt.bench.EnclaveSamples;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code hpcvirt-shmring} over TCP ({@code HPCVIRT_SHMRING_TCP}), the mode behind the network row of
 * {@code bench enclave}: the guest source compiled for the host with the image's flags, both ends
 * as host processes on 127.0.0.1. Checked round trips and streams (one message per write and
 * batched), either end first, and the errors for a bad spec and for nobody listening.
 */
class ShmringTcpIT {
    private static Path dir;
    private static Path shmring;

    @BeforeAll
    static void compile() throws Exception {
        dir = Files.createTempDirectory("hvit-shmtcp");
        Path src = dir.resolve("hpcvirt-shmring.c");
        try (InputStream in = ShmringTcpIT.class.getResourceAsStream("/guest/workloads/hpcvirt-shmring.c")) {
            Files.write(src, in.readAllBytes());
        }
        shmring = dir.resolve("hpcvirt-shmring");
        Result r = run(List.of("gcc", "-static", "-O2", "-Wall", "-Wextra", "-s", "-o", shmring.toString(), src.toString()), null);
        assertThat(r.output()).as("gcc output (warnings are errors here)").isEmpty();
        assertThat(r.code()).isZero();
    }

    @AfterAll
    static void remove() {
        if (dir != null) {
            DirectoryTree.delete(dir);
        }
    }

    record Result(int code, String output) {
    }

    private static Result run(List<String> cmd, String tcp) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        if (tcp != null) {
            pb.environment().put("HPCVIRT_SHMRING_TCP", tcp);
        }
        Process p = pb.start();
        try (InputStream in = p.getInputStream()) {
            String out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("%s ends", cmd).isTrue();
            return new Result(p.exitValue(), out);
        } finally {
            p.destroyForcibly();
        }
    }

    /** Runs {@code a} (in the background, started first) and {@code b}; returns both results. */
    private static List<Result> pair(List<String> a, String tcpA, List<String> b, String tcpB) throws Exception {
        CompletableFuture<Result> fa = CompletableFuture.supplyAsync(() -> {
            try {
                return run(a, tcpA);
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Result rb = run(b, tcpB);
        List<Result> both = new ArrayList<>();
        both.add(fa.get(70, TimeUnit.SECONDS));
        both.add(rb);
        return both;
    }

    private static List<String> cmd(String... args) {
        List<String> c = new ArrayList<>(List.of(shmring.toString()));
        c.addAll(List.of(args));
        return c;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void roundTripsAreCheckedWhicheverEndStartsFirst() throws Exception {
        int port = freePort();
        // the connecting end first: it retries until the listener is up
        List<Result> r = pair(cmd("ping", "500", "30"), "127.0.0.1:" + port, cmd("pong", "500", "30"), ":" + port);
        assertThat(r.get(1)).isEqualTo(new Result(0, "ponged 500 bad 0\n"));
        assertThat(r.get(0).code()).as(r.get(0).output()).isZero();
        EnclaveSamples.RoundTrips t = EnclaveSamples.roundTrips(r.get(0).output());
        assertThat(t.count()).isEqualTo(500);
        assertThat(t.good()).isEqualTo(500);
        assertThat(t.minNs()).isPositive().isLessThanOrEqualTo(t.medianNs());

        int port2 = freePort();
        List<Result> r2 = pair(cmd("pong", "20", "30"), ":" + port2, cmd("ping", "20", "30"), "127.0.0.1:" + port2);
        assertThat(r2.get(0)).isEqualTo(new Result(0, "ponged 20 bad 0\n"));
        assertThat(EnclaveSamples.roundTrips(r2.get(1).output()).good()).isEqualTo(20);
    }

    @Test
    void streamsArriveCheckedOneMessagePerWriteAndBatched() throws Exception {
        for (String mode : List.of("single", "batch")) {
            int port = freePort();
            // 3001 is not a multiple of the 1024-message batch
            List<Result> r = pair(cmd("produce", "3001", "30", mode), "127.0.0.1:" + port, cmd("consume", "3001", "30", "check"),
                    ":" + port);
            assertThat(r.get(0)).as(mode).isEqualTo(new Result(0, "produced 3001 from 0\n"));
            assertThat(r.get(1)).as(mode).isEqualTo(new Result(0, "consumed 3001 from 0 good 3001 badsum 0 badseq 0 undetected 0\n"));
        }
        int port = freePort();
        List<Result> timed = pair(cmd("consume", "2000", "30", "timed"), ":" + port, cmd("produce", "2000", "30", "batch"),
                "127.0.0.1:" + port);
        EnclaveSamples.Stream s = EnclaveSamples.stream(timed.get(0).output());
        assertThat(s.count()).isEqualTo(2000);
        assertThat(s.good()).isEqualTo(2000);
    }

    @Test
    void aConsumerThatGetsTooFewMessagesTimesOutWithItsCounts() throws Exception {
        int port = freePort();
        List<Result> r = pair(cmd("consume", "100", "2"), ":" + port, cmd("produce", "60", "30"), "127.0.0.1:" + port);
        assertThat(r.get(1)).isEqualTo(new Result(0, "produced 60 from 0\n"));
        assertThat(r.get(0)).isEqualTo(new Result(2, "consumed 60 from 0 good 60 badsum 0 badseq 0 timeout\n"));
    }

    @Test
    void aBadSpecOrNobodyListeningIsASetupErrorNamingIt() throws Exception {
        assertThat(run(cmd("ping", "3", "1"), "nonsense")).isEqualTo(new Result(3, "HPCVIRT_SHMRING_TCP 'nonsense' is not [ADDR]:PORT\n"));
        assertThat(run(cmd("ping", "3", "1"), "localhost:4000"))
                .isEqualTo(new Result(3, "HPCVIRT_SHMRING_TCP 'localhost:4000': 'localhost' is not an IPv4 address\n"));
        int port = freePort();
        assertThat(run(cmd("ping", "3", "1"), "127.0.0.1:" + port))
                .isEqualTo(new Result(3, "cannot connect to 127.0.0.1:" + port + ": Connection refused\n"));
    }
}
