package org.hpcvirt.backend.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.hpcvirt.api.DaemonThreads;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/**
 * One QMP session. A single reader thread reads every message: replies complete the request with
 * the same {@code id}, events go to every listener in order (none dropped). {@link #execute} may be
 * called from any thread concurrently. Listeners run on the reader thread and must not block.
 * The creator closes the connection; closing fails outstanding requests.
 */
public final class QmpConnection implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String label;
    private final BufferedReader in;
    private final OutputStream out;
    private final AutoCloseable resource;
    private final Map<String, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final CopyOnWriteArrayList<Consumer<QmpEvent>> listeners = new CopyOnWriteArrayList<>();
    private final CopyOnWriteArrayList<Runnable> closeListeners = new CopyOnWriteArrayList<>();
    private final AtomicLong ids = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Object writeLock = new Object();
    private final JsonNode greeting;
    private Thread reader;

    QmpConnection(String label, InputStream in, OutputStream out, AutoCloseable resource) throws IOException {
        this.label = label;
        this.in = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        this.out = out;
        this.resource = resource;
        String first = this.in.readLine();
        if (first == null) {
            throw new IOException("QMP peer closed before greeting");
        }
        JsonNode g = JSON.readTree(first);
        if (!g.has("QMP")) {
            throw new IOException("not a QMP greeting: " + abbreviate(first));
        }
        this.greeting = g.get("QMP");
    }

    /**
     * Connects to QEMU's QMP Unix socket, negotiates capabilities and starts the reader thread.
     *
     * @throws HpcvirtException OPERATION_FAILED if the socket does not answer like QMP within {@code timeout}
     */
    public static QmpConnection connect(Path socket, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        IOException last = null;
        while (System.nanoTime() < deadline) {
            SocketChannel ch = null;
            try {
                ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                ch.connect(UnixDomainSocketAddress.of(socket));
                QmpConnection c = new QmpConnection(socket.getFileName().toString(),
                        new ChannelInput(ch), new ChannelOutput(ch), ch);
                c.start();
                c.execute("qmp_capabilities", Map.of(), timeout);
                return c;
            } catch (IOException e) {
                last = e;
                closeQuietly(ch);
                pause(50);
            }
        }
        throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot connect to QMP socket " + socket, last);
    }

    /** For tests: a session over given streams, already past the greeting; capabilities not negotiated. */
    static QmpConnection over(InputStream in, OutputStream out) throws IOException {
        QmpConnection c = new QmpConnection("test", in, out, () -> { });
        c.start();
        return c;
    }

    private void start() {
        reader = DaemonThreads.start("qmp-reader-" + label, this::readLoop);
    }

    /** QEMU's version triple from the greeting, e.g. "7.2.22". */
    public String qemuVersion() {
        JsonNode q = greeting.path("version").path("qemu");
        return q.path("major").asInt() + "." + q.path("minor").asInt() + "." + q.path("micro").asInt();
    }

    /** Adds a listener for every event received from now on. */
    public void addEventListener(Consumer<QmpEvent> listener) {
        listeners.add(listener);
    }

    /** Adds a callback run once when the connection ends (peer gone or closed). */
    public void addCloseListener(Runnable r) {
        closeListeners.add(r);
    }

    public boolean isOpen() {
        return !closed.get();
    }

    /**
     * Runs a command and returns its {@code return} member.
     *
     * @throws QmpException      if QEMU answers with an error
     * @throws HpcvirtException  TIMEOUT after {@code timeout}; OPERATION_FAILED if the connection is lost
     */
    public JsonNode execute(String command, Map<String, ?> arguments, Duration timeout) {
        if (closed.get()) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "QMP connection " + label + " is closed");
        }
        String id = "h" + ids.incrementAndGet();
        ObjectNode msg = JSON.createObjectNode();
        msg.put("execute", command);
        if (arguments != null && !arguments.isEmpty()) {
            msg.set("arguments", JSON.valueToTree(arguments));
        }
        msg.put("id", id);
        CompletableFuture<JsonNode> f = new CompletableFuture<>();
        pending.put(id, f);
        try {
            byte[] bytes = (JSON.writeValueAsString(msg) + "\n").getBytes(StandardCharsets.UTF_8);
            synchronized (writeLock) {
                out.write(bytes);
                out.flush();
            }
            JsonNode reply = f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (reply.has("error")) {
                JsonNode e = reply.get("error");
                throw new QmpException(command, e.path("class").asText("?"), e.path("desc").asText("?"));
            }
            return reply.path("return");
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "QMP " + command + ": connection lost", e);
        } catch (TimeoutException e) {
            throw new HpcvirtException(ErrorCode.TIMEOUT, "QMP " + command + ": no reply within " + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "QMP " + command + ": interrupted");
        } catch (ExecutionException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "QMP " + command + ": connection lost", e.getCause());
        } finally {
            pending.remove(id);
        }
    }

    private void readLoop() {
        try {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode msg;
                try {
                    msg = JSON.readTree(line);
                } catch (IOException e) {
                    continue; // QEMU does not send malformed JSON; nothing sensible to do with it
                }
                if (msg.has("event")) {
                    JsonNode ts = msg.path("timestamp");
                    Instant t = ts.isObject()
                            ? Instant.ofEpochSecond(ts.path("seconds").asLong(), ts.path("microseconds").asLong() * 1000)
                            : Instant.now();
                    QmpEvent ev = new QmpEvent(msg.get("event").asText(),
                            msg.has("data") ? msg.get("data") : JSON.createObjectNode(), t);
                    for (Consumer<QmpEvent> l : listeners) {
                        try {
                            l.accept(ev);
                        } catch (RuntimeException e) {
                            // a faulty listener must not starve the others or kill the reader
                        }
                    }
                } else if (msg.has("id")) {
                    CompletableFuture<JsonNode> f = pending.get(msg.get("id").asText());
                    if (f != null) {
                        f.complete(msg);
                    }
                }
            }
        } catch (IOException e) {
            // connection ended
        } finally {
            shutdown();
        }
    }

    private void shutdown() {
        if (closed.compareAndSet(false, true)) {
            closeQuietly(resource);
            IOException gone = new IOException("QMP connection " + label + " closed");
            pending.values().forEach(f -> f.completeExceptionally(gone));
            for (Runnable r : closeListeners) {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    // keep notifying the others
                }
            }
        }
    }

    @Override
    public void close() {
        shutdown();
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception e) {
                // nothing to do
            }
        }
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /*
     * Channels.newInputStream/newOutputStream on one SocketChannel share its blocking lock, so a
     * write would wait for the reader thread's read to return. These call read/write directly,
     * which the channel allows concurrently (one reader, one writer).
     */
    private static final class ChannelInput extends InputStream {
        private final SocketChannel ch;

        ChannelInput(SocketChannel ch) {
            this.ch = ch;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            return ch.read(ByteBuffer.wrap(b, off, len));
        }
    }

    private static final class ChannelOutput extends OutputStream {
        private final SocketChannel ch;

        ChannelOutput(SocketChannel ch) {
            this.ch = ch;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            ByteBuffer buf = ByteBuffer.wrap(b, off, len);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "…" : s;
    }
}
