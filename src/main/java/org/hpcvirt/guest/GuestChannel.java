package org.hpcvirt.guest;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.hpcvirt.api.DaemonThreads;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/**
 * The host end of the guest channel: a client of QEMU's chardev Unix socket behind the virtio-serial
 * port {@code org.hpcvirt.agent}. Protocol: {@code docs/guest-channel.md}.
 *
 * <p><b>Untrusted input.</b> Lines are framed with bounded length ({@link ChannelLineParser#MAX_LINE},
 * {@link ChannelLineParser#MAX_RESULT_LINE} for RESULT), rate-limited ({@value #RATE_LIMIT_PER_SECOND}
 * lines/s, burst of the same size), parsed strictly; replies must match an outstanding request of the
 * right kind. Anything else is counted in {@link #stats()}, reported to {@link Listener#onGarbage} and dropped.
 *
 * <p><b>Threading.</b> One daemon reader thread ({@code guest-channel-<socket file name>}) reads, parses
 * and calls the {@link Listener} — keep callbacks short and never call a blocking request method of this
 * channel from them (it would wait for the thread that is running the callback). Request methods
 * ({@link #exec}, {@link #counter}, {@link #ping}, ...) may be called from any thread, concurrently.
 *
 * <p><b>Lifetime.</b> The caller that {@link #connect}s owns the channel and closes it. {@link #close()}
 * closes the socket and stops the reader; it never touches the VM. The agent keeps running while no host
 * is connected and says HELLO to the next connection (prompted by the {@code HELLO v=1} greeting this class
 * sends on connect), so reconnecting is simply another {@link #connect}.
 */
public final class GuestChannel implements AutoCloseable {
    /** Lines per second accepted from the guest; more are counted and dropped. */
    public static final int RATE_LIMIT_PER_SECOND = 200;
    private static final Duration EXEC_GRACE = Duration.ofSeconds(5);
    private static final int MAX_COMMAND_BYTES = 3000;
    /** Most arguments (program included) of {@link #exec(List, Duration)}. */
    public static final int MAX_ARGS = 256;
    /**
     * Longest {@code argv=} field of an {@code EXECV} line (base64 characters and commas), about 3000
     * bytes of arguments; with the other fields the line stays within {@link ChannelLineParser#MAX_LINE}.
     */
    public static final int MAX_ARGV_FIELD = 4000;

    /**
     * Receives what the guest sends on its own. Called on the reader thread, in arrival order; a
     * callback that throws is ignored (the reader carries on). All methods default to doing nothing.
     */
    public interface Listener {
        /** The agent started or saw this host connect. */
        default void onHello(Hello hello) {
        }

        /** A heartbeat. */
        default void onHeartbeat(Heartbeat heartbeat) {
        }

        /** A line was dropped: malformed, oversize, over the rate limit or an unmatched reply. */
        default void onGarbage(String reason) {
        }

        /** The reader stopped: the socket reached end of stream, failed, or {@link #close()} was called. */
        default void onDisconnected() {
        }
    }

    /**
     * Counters since connect.
     *
     * @param linesOk      valid lines handled
     * @param garbageLines malformed lines and replies matching no outstanding request
     * @param rateLimited  lines dropped over the rate limit
     * @param oversize     lines longer than the limit, discarded up to their newline
     */
    public record Stats(long linesOk, long garbageLines, long rateLimited, long oversize) {
    }

    private enum Kind { EXEC, COUNTER, PING }

    private record Pending(Kind kind, CompletableFuture<GuestMessage> reply) {
    }

    private final SocketChannel socket;
    private final Listener listener;
    private final Thread reader;
    private final Object writeLock = new Object();
    private final AtomicLong nextId = new AtomicLong(1);
    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicLong linesOk = new AtomicLong();
    private final AtomicLong garbage = new AtomicLong();
    private final AtomicLong rateLimited = new AtomicLong();
    private final AtomicLong oversize = new AtomicLong();
    private final TokenBucket bucket;
    private final LineFramer framer = new LineFramer(ChannelLineParser.MAX_LINE, ChannelLineParser.MAX_RESULT_LINE);

    private GuestChannel(SocketChannel socket, String name, Listener listener, LongSupplier nanoClock) {
        this.socket = socket;
        this.listener = listener;
        this.bucket = new TokenBucket(RATE_LIMIT_PER_SECOND, RATE_LIMIT_PER_SECOND, nanoClock);
        this.reader = DaemonThreads.named("guest-channel-" + name).newThread(this::readLoop);
    }

    /**
     * Connects to QEMU's chardev socket ({@code -chardev socket,path=...,server=on,wait=off}) and starts
     * the reader thread.
     *
     * @throws HpcvirtException OPERATION_FAILED if the socket cannot be connected
     */
    public static GuestChannel connect(Path unixSocket, Listener listener) {
        return connect(unixSocket, listener, System::nanoTime);
    }

    static GuestChannel connect(Path unixSocket, Listener listener, LongSupplier nanoClock) {
        SocketChannel ch;
        try {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot open a Unix socket", e);
        }
        try {
            ch.connect(UnixDomainSocketAddress.of(unixSocket));
        } catch (IOException e) {
            closeQuietly(ch);
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot connect to guest channel " + unixSocket, e);
        }
        GuestChannel gc = new GuestChannel(ch, unixSocket.getFileName().toString(), listener, nanoClock);
        gc.reader.start();
        try {
            // The greeting makes the agent say HELLO even if it missed this reconnect (see docs).
            gc.send("HELLO v=1");
        } catch (HpcvirtException e) {
            gc.close();
            throw e;
        }
        return gc;
    }

    /**
     * Runs {@code shellCommand} with {@code /bin/sh -c} in the guest and returns its outcome. The agent
     * kills the command's process group at {@code timeout} (exit code 137); the host waits a few seconds
     * longer for the RESULT.
     *
     * @throws HpcvirtException INVALID_INPUT if the command is empty or too long (over 3000 bytes) or the
     *                          timeout is over 24 h,
     *                          TIMEOUT if no RESULT arrives, OPERATION_FAILED if the agent refuses (e.g. 4
     *                          commands already running) or the channel closes
     */
    public ExecResult exec(String shellCommand, Duration timeout) {
        byte[] cmd = shellCommand.getBytes(StandardCharsets.UTF_8);
        if (cmd.length == 0 || cmd.length > MAX_COMMAND_BYTES || shellCommand.indexOf('\0') >= 0) {
            throw HpcvirtException.invalid("guest command must be 1.." + MAX_COMMAND_BYTES + " bytes without NUL");
        }
        long ms = execTimeoutMs(timeout);
        GuestMessage m = request(Kind.EXEC, id -> "EXEC id=" + id + " timeout=" + ms + " cmd="
                + Base64.getEncoder().encodeToString(cmd), timeout.plus(EXEC_GRACE), "exec");
        return ((GuestMessage.Result) m).result();
    }

    /**
     * Runs a program with arguments in the guest, without a shell: {@code argv.get(0)} is looked up in
     * the guest's {@code PATH} and gets exactly these arguments (spaces, quotes, empty strings, UTF-8 are
     * kept). Output, timeout and kill behave as in {@link #exec(String, Duration)}; a program that
     * cannot be found gives exit code 127 (126 if it cannot be run) and a message in the output.
     *
     * @throws HpcvirtException INVALID_INPUT if {@code argv} is empty, has more than {@value #MAX_ARGS}
     *                          elements, an empty program name, a null, a NUL or an unpaired surrogate,
     *                          or is too long once encoded (over {@value #MAX_ARGV_FIELD} characters,
     *                          about 3000 bytes), or the timeout is over 24 h; otherwise as
     *                          {@link #exec(String, Duration)}
     */
    public ExecResult exec(List<String> argv, Duration timeout) {
        String field = encodeArgv(argv);
        long ms = execTimeoutMs(timeout);
        GuestMessage m = request(Kind.EXEC, id -> "EXECV id=" + id + " timeout=" + ms + " argv=" + field,
                timeout.plus(EXEC_GRACE), "exec");
        return ((GuestMessage.Result) m).result();
    }

    /**
     * The {@code argv=} value of an {@code EXECV} line: each argument's UTF-8 bytes in base64 (standard
     * alphabet, padded), separated by commas; an empty argument is an empty item.
     *
     * @throws HpcvirtException INVALID_INPUT when {@code argv} breaks a bound of {@link #exec(List, Duration)}
     */
    static String encodeArgv(List<String> argv) {
        if (argv == null || argv.isEmpty()) {
            throw HpcvirtException.invalid("guest command: no program given");
        }
        if (argv.size() > MAX_ARGS) {
            throw HpcvirtException.invalid("guest command: " + argv.size() + " arguments, at most " + MAX_ARGS);
        }
        CharsetEncoder utf8 = StandardCharsets.UTF_8.newEncoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        Base64.Encoder b64 = Base64.getEncoder();
        StringBuilder field = new StringBuilder();
        for (int i = 0; i < argv.size(); i++) {
            String a = argv.get(i);
            if (a == null || (i == 0 && a.isEmpty())) {
                throw HpcvirtException.invalid("guest command: " + (i == 0 ? "the program name" : "argument " + i)
                        + " is " + (a == null ? "missing" : "empty"));
            }
            if (a.indexOf('\0') >= 0) {
                throw HpcvirtException.invalid("guest command: argument " + i + " contains a NUL character");
            }
            ByteBuffer bytes;
            try {
                bytes = utf8.encode(CharBuffer.wrap(a));
            } catch (CharacterCodingException e) {
                throw HpcvirtException.invalid("guest command: argument " + i + " is not valid Unicode (unpaired surrogate)");
            }
            byte[] raw = new byte[bytes.remaining()];
            bytes.get(raw);
            if (i > 0) {
                field.append(',');
            }
            field.append(b64.encodeToString(raw));
            if (field.length() > MAX_ARGV_FIELD) {
                throw HpcvirtException.invalid("guest command: the arguments are too long (over " + MAX_ARGV_FIELD
                        + " characters once encoded, about 3000 bytes)");
            }
        }
        return field.toString();
    }

    private static long execTimeoutMs(Duration timeout) {
        long ms = Math.max(1, timeout.toMillis());
        if (ms > 86_400_000L) {
            throw HpcvirtException.invalid("guest command timeout must be at most 24h, not " + timeout);
        }
        return ms;
    }

    /**
     * Reads the agent's memory-continuity counter.
     *
     * @throws HpcvirtException TIMEOUT if no answer within {@code timeout}; OPERATION_FAILED if closed
     */
    public CounterReading counter(Duration timeout) {
        return ((GuestMessage.Counter) request(Kind.COUNTER, id -> "COUNTER id=" + id, timeout, "counter")).reading();
    }

    /** True if the agent answers within {@code timeout}; false on timeout or if the channel is closed. */
    public boolean ping(Duration timeout) {
        try {
            request(Kind.PING, id -> "PING id=" + id, timeout, "ping");
            return true;
        } catch (HpcvirtException e) {
            return false;
        }
    }

    /** Asks the agent to sync and power the guest off. No answer comes; watch the VM process exit. */
    public void shutdownGuest() {
        send("SHUTDOWN");
    }

    /**
     * Changes the agent's heartbeat interval (50 ms .. 60 s). Not acknowledged: the heartbeats' spacing shows it.
     *
     * @throws HpcvirtException INVALID_INPUT if out of range
     */
    public void setInterval(Duration interval) {
        long ms = interval.toMillis();
        if (ms < 50 || ms > 60_000) {
            throw HpcvirtException.invalid("heartbeat interval must be 50ms..60s, not " + interval);
        }
        send("INTERVAL ms=" + ms);
    }

    /** A snapshot of the counters. */
    public Stats stats() {
        return new Stats(linesOk.get(), garbage.get(), rateLimited.get(), oversize.get());
    }

    /** Whether {@link #close()} was called or the reader stopped. */
    public boolean isClosed() {
        return closed.get() || !reader.isAlive();
    }

    /** Closes the socket and waits briefly for the reader to stop. Idempotent; never touches the VM. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            closeQuietly(socket);
        }
        if (Thread.currentThread() != reader) {
            try {
                reader.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Sends {@code "<verb> id=<n> <fields>"} as an exec request, unchecked; for tests that send the agent
     * malformed requests and read its answer (an {@code ERR} becomes OPERATION_FAILED with its message).
     */
    ExecResult execRaw(String verb, String fields, Duration timeout) {
        GuestMessage m = request(Kind.EXEC, id -> verb + " id=" + id + (fields.isEmpty() ? "" : " " + fields), timeout, "exec");
        return ((GuestMessage.Result) m).result();
    }

    /** Sends raw bytes as they are; for tests that feed the agent garbage. */
    void sendRaw(byte[] bytes) {
        write(ByteBuffer.wrap(bytes));
    }

    private interface LineForId {
        String line(long id);
    }

    private GuestMessage request(Kind kind, LineForId line, Duration timeout, String what) {
        long id = nextId.getAndIncrement();
        Pending p = new Pending(kind, new CompletableFuture<>());
        pending.put(id, p);
        try {
            if (isClosed()) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "guest channel is closed");
            }
            send(line.line(id));
            GuestMessage m = p.reply().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (m instanceof GuestMessage.Error err) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, what + " failed in the guest: " + err.message());
            }
            return m;
        } catch (TimeoutException e) {
            throw new HpcvirtException(ErrorCode.TIMEOUT, what + ": no answer from the guest agent within "
                    + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, what + ": guest channel closed", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, what + ": interrupted", e);
        } finally {
            pending.remove(id);
        }
    }

    private void send(String line) {
        byte[] b = (line + "\n").getBytes(StandardCharsets.US_ASCII);
        if (b.length > ChannelLineParser.MAX_LINE + 1) {
            throw new HpcvirtException(ErrorCode.INTERNAL, "host line over " + ChannelLineParser.MAX_LINE + " bytes");
        }
        write(ByteBuffer.wrap(b));
    }

    private void write(ByteBuffer buf) {
        synchronized (writeLock) {
            try {
                while (buf.hasRemaining()) {
                    socket.write(buf);
                }
            } catch (IOException e) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "guest channel closed", e);
            }
        }
    }

    private void readLoop() {
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        LineFramer.Sink sink = new LineFramer.Sink() {
            @Override
            public void line(byte[] line) {
                handleLine(line);
            }

            @Override
            public void oversize() {
                oversize.incrementAndGet();
                notifyGarbage("line over the length limit");
            }
        };
        try {
            while (true) {
                buf.clear();
                int n = socket.read(buf);
                if (n < 0) {
                    break;
                }
                framer.feed(buf.array(), 0, n, sink);
            }
        } catch (IOException | RuntimeException e) {
            // closed by close(), or the peer went away: both end the reader the same way
        } finally {
            closed.set(true);
            closeQuietly(socket);
            HpcvirtException gone = new HpcvirtException(ErrorCode.OPERATION_FAILED, "guest channel closed");
            pending.values().forEach(p -> p.reply().completeExceptionally(gone));
            try {
                listener.onDisconnected();
            } catch (RuntimeException ignored) {
                // a listener bug must not hide the disconnect from the rest of the reader's cleanup
            }
        }
    }

    private void handleLine(byte[] line) {
        if (!bucket.tryAcquire()) {
            rateLimited.incrementAndGet();
            notifyGarbage("over the rate limit");
            return;
        }
        ChannelLineParser.Outcome o = ChannelLineParser.parse(line, Instant.now());
        if (o instanceof ChannelLineParser.Outcome.Blank) {
            return;
        }
        if (o instanceof ChannelLineParser.Outcome.Rejected r) {
            garbage.incrementAndGet();
            notifyGarbage(r.reason());
            return;
        }
        GuestMessage m = ((ChannelLineParser.Outcome.Parsed) o).message();
        if (m instanceof Hello h) {
            linesOk.incrementAndGet();
            safely(() -> listener.onHello(h));
        } else if (m instanceof Heartbeat hb) {
            linesOk.incrementAndGet();
            safely(() -> listener.onHeartbeat(hb));
        } else if (m instanceof GuestMessage.Error e && e.id() == 0) {
            // The agent rejected a line it could not attribute (e.g. garbage we were told to send).
            linesOk.incrementAndGet();
        } else {
            long id = replyId(m);
            Pending p = pending.get(id);
            if (p == null || !(m instanceof GuestMessage.Error || expected(p.kind()).isInstance(m))) {
                garbage.incrementAndGet();
                notifyGarbage("reply to no outstanding request");
                return;
            }
            linesOk.incrementAndGet();
            p.reply().complete(m);
        }
    }

    private static long replyId(GuestMessage m) {
        if (m instanceof GuestMessage.Result r) {
            return r.id();
        } else if (m instanceof GuestMessage.Counter c) {
            return c.id();
        } else if (m instanceof GuestMessage.Pong p) {
            return p.id();
        } else if (m instanceof GuestMessage.Error e) {
            return e.id();
        }
        return -1;
    }

    private static Class<? extends GuestMessage> expected(Kind kind) {
        return switch (kind) {
            case EXEC -> GuestMessage.Result.class;
            case COUNTER -> GuestMessage.Counter.class;
            case PING -> GuestMessage.Pong.class;
        };
    }

    private void notifyGarbage(String reason) {
        safely(() -> listener.onGarbage(reason));
    }

    private static void safely(Runnable callback) {
        try {
            callback.run();
        } catch (RuntimeException ignored) {
            // listener bugs must not stop the reader
        }
    }

    private static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing more to do
        }
    }
}
