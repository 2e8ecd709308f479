package org.hpcvirt.backend.qemu.gdb;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A fake gdbstub for tests: on its own thread, acks every packet, records its payload and answers
 * with the script's reply, until the client goes away. Stop it with {@link #stop()}.
 */
public final class ScriptedGdbStub {
    /** The reply to each payload received. */
    public interface Script {
        String reply(String payload);
    }

    private final List<String> seen = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private final List<Closeable> resources = new CopyOnWriteArrayList<>();

    /** Serves on the given streams (the client's output and input). */
    public ScriptedGdbStub(InputStream in, OutputStream out, Script script) {
        thread = new Thread(() -> serve(in, out, script), "gdb-stub");
        thread.setDaemon(true);
        thread.start();
    }

    private ScriptedGdbStub(ServerSocketChannel server, Script script) {
        resources.add(server);
        thread = new Thread(() -> {
            try {
                SocketChannel ch = server.accept();
                resources.add(ch);
                serve(Channels.newInputStream(ch), Channels.newOutputStream(ch), script);
            } catch (IOException e) {
                // stopped before a client came
            }
        }, "gdb-stub");
        thread.setDaemon(true);
        thread.start();
    }

    /** A stub listening on a Unix socket (bound when this returns) for one client, like QEMU's {@code -gdb}. */
    public static ScriptedGdbStub onUnixSocket(Path socket, Script script) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        return new ScriptedGdbStub(server, script);
    }

    /** Every payload received so far, in order. */
    public List<String> seen() {
        return seen;
    }

    /** True until the client went away (or the stub was stopped). */
    public boolean serving() {
        return thread.isAlive();
    }

    public void stop() throws InterruptedException {
        thread.interrupt();
        for (Closeable c : resources) {
            try {
                c.close();
            } catch (IOException e) {
                // stopping anyway
            }
        }
        thread.join(2000);
    }

    private void serve(InputStream in, OutputStream out, Script script) {
        try {
            while (!Thread.currentThread().isInterrupted()) {
                String p = GdbPacket.read(in);
                seen.add(p);
                out.write('+');
                out.write(GdbPacket.encode(script.reply(p)));
                out.flush();
                int ack = in.read();
                if (ack != '+') {
                    return;
                }
            }
        } catch (IOException e) {
            // client closed
        }
    }
}
