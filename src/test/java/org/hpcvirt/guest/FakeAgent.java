package org.hpcvirt.guest;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Test support: the VMM side of a guest channel socket with a scripted agent behind it. It listens
 * on the socket path a backend instance reports, accepts every connection the daemon makes (the
 * newest one is the live one), greets with HELLO, and sends heartbeats when the test says so. No
 * QEMU, no guest. Closed by the test.
 */
public final class FakeAgent implements AutoCloseable {
    private final ServerSocketChannel server;
    private final AtomicReference<SocketChannel> live = new AtomicReference<>();
    private final AtomicLong seq = new AtomicLong();
    private final Thread acceptor;

    private FakeAgent(ServerSocketChannel server) {
        this.server = server;
        this.acceptor = new Thread(this::acceptLoop, "fake-agent");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Listens on {@code socket} (its directory is created). */
    public static FakeAgent listen(Path socket) throws IOException {
        Files.createDirectories(socket.getParent());
        Files.deleteIfExists(socket);
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        s.bind(UnixDomainSocketAddress.of(socket));
        return new FakeAgent(s);
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            try {
                SocketChannel c = server.accept();
                SocketChannel old = live.getAndSet(c);
                if (old != null) {
                    old.close();
                }
                write(c, "HELLO v=1 agent=0.1 boot=fake hb=100");
                Thread drain = new Thread(() -> drain(c), "fake-agent-read");
                drain.setDaemon(true);
                drain.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    /** Reads and ignores what the host sends (HELLO, requests), so that its writes never block. */
    private static void drain(SocketChannel c) {
        ByteBuffer b = ByteBuffer.allocate(4096);
        try {
            while (c.read(b) >= 0) {
                b.clear();
            }
        } catch (IOException e) {
            // closed
        }
    }

    /** True once the daemon connected. */
    public boolean connected() {
        SocketChannel c = live.get();
        return c != null && c.isConnected();
    }

    /** Sends the next heartbeat on the live connection; false if there is none (or it broke). */
    public boolean beat() {
        SocketChannel c = live.get();
        if (c == null) {
            return false;
        }
        long n = seq.incrementAndGet();
        try {
            write(c, "HB seq=" + n + " up=" + (n * 100) + " load=0.00 counter=" + n + " mem=ok");
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Sends raw bytes on the live connection (garbage, oversize lines); false if there is none. */
    public boolean sendRaw(byte[] bytes) {
        SocketChannel c = live.get();
        if (c == null) {
            return false;
        }
        try {
            synchronized (FakeAgent.class) {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) {
                    c.write(b);
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Closes the live connection, as a VMM whose guest side went away would; the daemon reconnects. */
    public void drop() throws IOException {
        SocketChannel c = live.getAndSet(null);
        if (c != null) {
            c.close();
        }
    }

    /** The last heartbeat sequence number sent. */
    public long lastSeq() {
        return seq.get();
    }

    private static void write(SocketChannel c, String line) throws IOException {
        synchronized (FakeAgent.class) {
            writeLine(c, line);
        }
    }

    private static void writeLine(SocketChannel c, String line) throws IOException {
        ByteBuffer b = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.US_ASCII));
        while (b.hasRemaining()) {
            c.write(b);
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        SocketChannel c = live.get();
        if (c != null) {
            c.close();
        }
    }
}
