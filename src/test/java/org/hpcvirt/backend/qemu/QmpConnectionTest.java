package org.hpcvirt.backend.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
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
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** QMP framing over an in-memory pipe: a scripted fake QEMU answers on the other end. */
class QmpConnectionTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private PipedOutputStream toClient;
    private BufferedReader fromClient;
    private OutputStream serverOut;
    private QmpConnection qmp;
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @BeforeEach
    void setUp() throws IOException {
        toClient = new PipedOutputStream();
        PipedInputStream clientIn = new PipedInputStream(toClient, 1 << 16);
        PipedInputStream serverIn = new PipedInputStream(1 << 16);
        PipedOutputStream clientOut = new PipedOutputStream(serverIn);
        fromClient = new BufferedReader(new InputStreamReader(serverIn, StandardCharsets.UTF_8));
        serverOut = toClient;
        send("{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}, \"package\": \"\"}, \"capabilities\": [\"oob\"]}}");
        qmp = QmpConnection.over(clientIn, clientOut);
    }

    @AfterEach
    void tearDown() {
        qmp.close();
        pool.shutdownNow();
    }

    private void send(String line) throws IOException {
        serverOut.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
        serverOut.flush();
    }

    private JsonNode receive() throws IOException {
        return JSON.readTree(fromClient.readLine());
    }

    @Test
    void parsesGreetingVersion() {
        assertThat(qmp.qemuVersion()).isEqualTo("7.2.22");
    }

    @Test
    void repliesAreMatchedByIdEvenOutOfOrder() throws Exception {
        Future<JsonNode> a = pool.submit(() -> qmp.execute("query-status", Map.of(), Duration.ofSeconds(5)));
        JsonNode reqA = receive();
        Future<JsonNode> b = pool.submit(() -> qmp.execute("query-name", Map.of(), Duration.ofSeconds(5)));
        JsonNode reqB = receive();
        assertThat(reqA.get("execute").asText()).isEqualTo("query-status");
        assertThat(reqB.get("execute").asText()).isEqualTo("query-name");
        assertThat(reqA.get("id")).isNotEqualTo(reqB.get("id"));
        // answer B first, with an event in between
        send("{\"return\": {\"name\": \"vm1\"}, \"id\": " + reqB.get("id") + "}");
        send("{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"RESUME\"}");
        send("{\"return\": {\"status\": \"running\", \"running\": true}, \"id\": " + reqA.get("id") + "}");
        assertThat(a.get().get("status").asText()).isEqualTo("running");
        assertThat(b.get().get("name").asText()).isEqualTo("vm1");
    }

    @Test
    void argumentsAreSent() throws Exception {
        Future<JsonNode> f = pool.submit(() -> qmp.execute("migrate-set-parameters", Map.of("max-bandwidth", 123), Duration.ofSeconds(5)));
        JsonNode req = receive();
        assertThat(req.get("arguments").get("max-bandwidth").asInt()).isEqualTo(123);
        send("{\"return\": {}, \"id\": " + req.get("id") + "}");
        assertThat(f.get().isObject()).isTrue();
    }

    @Test
    void errorsKeepClassAndDesc() throws Exception {
        Future<JsonNode> f = pool.submit(() -> qmp.execute("no-such", Map.of(), Duration.ofSeconds(5)));
        JsonNode req = receive();
        send("{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command no-such has not been found\"}, \"id\": " + req.get("id") + "}");
        assertThatThrownBy(f::get).hasCauseInstanceOf(QmpException.class)
                .cause().satisfies(e -> {
                    QmpException q = (QmpException) e;
                    assertThat(q.errorClass()).isEqualTo("CommandNotFound");
                    assertThat(q.desc()).isEqualTo("The command no-such has not been found");
                    assertThat(q.getMessage()).contains("no-such").contains("CommandNotFound");
                });
    }

    @Test
    void everyEventIsDeliveredInOrder() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        qmp.addEventListener(ev -> seen.add(ev.name() + ":" + ev.data().path("n").asInt()));
        for (int i = 0; i < 500; i++) {
            send("{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"E\", \"data\": {\"n\": " + i + "}}");
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 500);
        for (int i = 0; i < 500; i++) {
            assertThat(seen.get(i)).isEqualTo("E:" + i);
        }
    }

    @Test
    void aThrowingListenerDoesNotStopOthers() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        qmp.addEventListener(ev -> {
            throw new IllegalStateException("boom");
        });
        qmp.addEventListener(ev -> seen.add(ev.name()));
        send("{\"event\": \"GUEST_PANICKED\", \"data\": {\"action\": \"pause\"}, \"timestamp\": {\"seconds\": 1, \"microseconds\": 0}}");
        send("{\"event\": \"STOP\", \"timestamp\": {\"seconds\": 1, \"microseconds\": 0}}");
        await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 2);
        assertThat(seen).containsExactly("GUEST_PANICKED", "STOP");
    }

    @Test
    void timeoutIsReportedAsTimeout() throws Exception {
        assertThatThrownBy(() -> qmp.execute("query-status", Map.of(), Duration.ofMillis(200)))
                .isInstanceOf(HpcvirtException.class)
                .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.TIMEOUT));
    }

    @Test
    void peerGoingAwayFailsOutstandingRequestsAndNotifies() throws Exception {
        List<String> closed = new CopyOnWriteArrayList<>();
        qmp.addCloseListener(() -> closed.add("closed"));
        Future<JsonNode> f = pool.submit(() -> qmp.execute("query-status", Map.of(), Duration.ofSeconds(30)));
        receive();
        toClient.close();
        assertThatThrownBy(f::get).hasCauseInstanceOf(HpcvirtException.class);
        await().atMost(Duration.ofSeconds(5)).until(() -> closed.size() == 1);
        assertThat(qmp.isOpen()).isFalse();
        assertThatThrownBy(() -> qmp.execute("query-status", Map.of(), Duration.ofSeconds(1)))
                .isInstanceOf(HpcvirtException.class).hasMessageContaining("closed");
    }
}
