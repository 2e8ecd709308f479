package org.hpcvirt.backend.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.hpcvirt.backend.InstanceListener;
import org.hpcvirt.backend.Checkpointable;
import org.hpcvirt.backend.DiskSnapshots;
import org.hpcvirt.backend.InstanceRecord;
import org.hpcvirt.backend.MemoryAccess;
import org.hpcvirt.backend.Migratable;
import org.hpcvirt.backend.Pausable;
import org.hpcvirt.backend.ProcessInfo;
import org.hpcvirt.backend.RunState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * QemuInstance without a QEMU: its QMP session is a pipe to a fake QEMU answering
 * {@code query-status} with whatever the test sets, and its process is this JVM (alive).
 */
class QemuInstanceTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path run;
    private final AtomicReference<String> status = new AtomicReference<>("running");
    private final List<String> commands = new java.util.concurrent.CopyOnWriteArrayList<>();
    private QemuInstance inst;
    private Thread fake;

    @BeforeEach
    void setUp() throws IOException {
        PipedOutputStream toClient = new PipedOutputStream();
        PipedInputStream clientIn = new PipedInputStream(toClient, 1 << 16);
        PipedInputStream serverIn = new PipedInputStream(1 << 16);
        PipedOutputStream clientOut = new PipedOutputStream(serverIn);
        toClient.write("{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}}, \"capabilities\": []}}\r\n"
                .getBytes(StandardCharsets.UTF_8));
        QmpConnection qmp = QmpConnection.over(clientIn, clientOut);
        fake = new Thread(() -> answer(new BufferedReader(new InputStreamReader(serverIn, StandardCharsets.UTF_8)), toClient), "fake-qemu");
        fake.setDaemon(true);
        fake.start();
        long pid = ProcessHandle.current().pid();
        inst = new QemuInstance(new InstanceRecord("qemu", pid, ProcessInfo.of(pid).orElseThrow().startTicks(), run), null, qmp);
    }

    /** query-status answers with {@link #status} (or an error when it is "!error"); anything else with {}. */
    private void answer(BufferedReader in, OutputStream out) {
        try {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                JsonNode req = JSON.readTree(line);
                String cmd = req.path("execute").asText();
                commands.add(cmd);
                String reply;
                if (cmd.equals("query-status") && status.get().equals("!error")) {
                    reply = "{\"error\": {\"class\": \"GenericError\", \"desc\": \"no\"}, \"id\": " + req.get("id") + "}";
                } else if (cmd.equals("query-status")) {
                    reply = "{\"return\": {\"status\": \"" + status.get() + "\", \"running\": false}, \"id\": " + req.get("id") + "}";
                } else {
                    reply = "{\"return\": {}, \"id\": " + req.get("id") + "}";
                }
                out.write((reply + "\r\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        } catch (IOException e) {
            // client closed
        }
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        inst.close();
        fake.interrupt();
        fake.join(2000);
    }

    /** Every status of QEMU's RunState (qapi/run-state.json), and strings that are none. */
    @ParameterizedTest
    @CsvSource({
        "running, RUNNING",
        "paused, PAUSED", "debug, PAUSED", "suspended, PAUSED",
        "inmigrate, INCOMING", "prelaunch, INCOMING", "restore-vm, INCOMING",
        "finish-migrate, SAVING", "save-vm, SAVING", "colo, SAVING",
        "postmigrate, MIGRATED",
        "guest-panicked, PANICKED",
        "shutdown, SHUTDOWN",
        "io-error, ERROR", "internal-error, ERROR", "watchdog, ERROR",
        "some-future-state, UNKNOWN", "RUNNING, UNKNOWN", "'', UNKNOWN"})
    void everyQemuStatusMapsToOneRunState(String qemu, RunState expected) {
        assertThat(QemuInstance.runStateOf(qemu)).isEqualTo(expected);
        status.set(qemu);
        assertThat(inst.runState()).isEqualTo(expected);
    }

    @Test
    void noStatusAtAllIsUnknownNotAnError() {
        assertThat(QemuInstance.runStateOf(null)).isEqualTo(RunState.UNKNOWN);
        status.set("!error");
        assertThat(inst.runState()).isEqualTo(RunState.UNKNOWN);
    }

    @Test
    void aProcessThatIsGoneHasExited() {
        InstanceRecord gone = new InstanceRecord("qemu", inst.pid(), inst.record().startTicks() + 1, run);
        QemuInstance other = new QemuInstance(gone, null, inst.qmp());
        try {
            assertThat(other.runState()).isEqualTo(RunState.EXITED);
        } finally {
            other.close();
        }
    }

    @Test
    void attachedInstancesWhoseProcessIsGoneReportExitedOnceEachFromTheSharedWatchThread() {
        List<QemuInstance> gone = new ArrayList<>();
        Map<Integer, List<String>> exits = new ConcurrentHashMap<>();
        try {
            for (int i = 0; i < 3; i++) {
                int n = i;
                exits.put(n, new java.util.concurrent.CopyOnWriteArrayList<>());
                QemuInstance g = new QemuInstance(new InstanceRecord("qemu", inst.pid(), inst.record().startTicks() + 1 + i, run), null,
                        inst.qmp());
                g.addListener((kind, name, data) -> {
                    if (kind == InstanceListener.Kind.EXITED) {
                        exits.get(n).add(Thread.currentThread().getName());
                    }
                });
                gone.add(g);
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> exits.values().stream().noneMatch(List::isEmpty));
            // and the later rounds of checks (one a second) report none again
            await().during(Duration.ofMillis(2500)).atMost(Duration.ofSeconds(5))
                    .until(() -> exits.values().stream().allMatch(threads -> threads.size() == 1));
            assertThat(exits.values()).allSatisfy(threads -> assertThat(threads).containsExactly("qemu-watch"));
        } finally {
            gone.forEach(QemuInstance::close);
        }
    }

    @Test
    void capabilitiesAreSeparateObjectsMadeOnce() {
        List<Object> caps = new ArrayList<>();
        for (Class<?> c : List.of(Pausable.class, Checkpointable.class, DiskSnapshots.class, Migratable.class, MemoryAccess.class)) {
            Object cap = inst.capability(c).orElseThrow();
            assertThat(cap).as(c.getSimpleName()).isInstanceOf(c).isNotSameAs(inst);
            assertThat(inst.capability(c)).get().isSameAs(cap);
            caps.add(cap);
        }
        assertThat(caps).doesNotHaveDuplicates();
        assertThat(inst).isNotInstanceOfAny(Pausable.class, Checkpointable.class, DiskSnapshots.class, Migratable.class,
                MemoryAccess.class);
        assertThat(inst.capability(Object.class)).isEmpty();
        assertThat(inst.capability(String.class)).isEmpty();
    }

    @Test
    void pausableSendsStopAndCont() {
        Pausable p = inst.capability(Pausable.class).orElseThrow();
        p.pause();
        p.resume();
        assertThat(commands).containsSubsequence("stop", "cont");
    }

    @Test
    void migratableAcceptsOnTheUriGiven() {
        String uri = inst.capability(Migratable.class).orElseThrow().acceptIncoming("unix:" + run.resolve("x.sock"));
        assertThat(uri).isEqualTo("unix:" + run.resolve("x.sock"));
        assertThat(commands).containsSubsequence("migrate-set-capabilities", "migrate-incoming");
    }
}
