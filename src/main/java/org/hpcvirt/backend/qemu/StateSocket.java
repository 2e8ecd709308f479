package org.hpcvirt.backend.qemu;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/**
 * Moves a migration stream between QEMU and a file over a Unix socket in the instance's run
 * directory ({@code migrate unix:SOCKET} / {@code migrate-incoming unix:SOCKET}), computing the
 * file's SHA-256 on the way. One pass over the data instead of a write followed by a read for the
 * checksum, no helper process (QEMU 7.2 has no {@code file:} URI, and its {@code exec:} channel
 * sends the helper SIGTERM when it has not exited the instant QEMU closes the pipe), and the end
 * of the stream is the socket's end-of-file, so a reader never sees a file still being written.
 *
 * <p>Each transfer runs on its own daemon thread; the caller waits for it with a deadline. Not
 * reusable: one object per transfer.
 */
final class StateSocket {
    private static final int BUFFER = 1 << 20;

    private StateSocket() {
    }

    /**
     * What was moved.
     *
     * @param bytes    bytes of the file
     * @param sha256   lower-case hex SHA-256 of the whole file
     * @param complete false if the other end stopped reading before the end of the file (the
     *                 checksum then still covers the whole file, read to its end)
     */
    record Copied(long bytes, String sha256, boolean complete) {
    }

    /**
     * Receives one stream from QEMU into {@code file} (created or truncated; not fsynced). Listens
     * from construction; the file is complete once QEMU closed its end.
     */
    static final class Sink implements AutoCloseable {
        private final Path socket;
        private final ServerSocketChannel server;
        private final CompletableFuture<Copied> result = new CompletableFuture<>();
        private volatile SocketChannel peer;

        Sink(Path socket, Path file) {
            this.socket = socket;
            try {
                Files.deleteIfExists(socket);
                server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
                server.bind(UnixDomainSocketAddress.of(socket));
            } catch (IOException e) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot listen on " + socket + " for the state of " + file, e);
            }
            Thread t = new Thread(() -> receive(file), "state-sink-" + socket.getParent().getFileName());
            t.setDaemon(true);
            t.start();
        }

        /** The URI to give QEMU's {@code migrate}. */
        String uri() {
            return "unix:" + socket;
        }

        private void receive(Path file) {
            try (SocketChannel in = server.accept();
                    FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                            StandardOpenOption.TRUNCATE_EXISTING)) {
                peer = in;
                server.close();
                MessageDigest md = sha256();
                ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER);
                long total = 0;
                boolean eof = false;
                while (!eof) {
                    while (buf.hasRemaining()) {
                        if (in.read(buf) < 0) {
                            eof = true;
                            break;
                        }
                    }
                    buf.flip();
                    total += buf.remaining();
                    md.update(buf);
                    buf.rewind();
                    while (buf.hasRemaining()) {
                        out.write(buf);
                    }
                    buf.clear();
                }
                result.complete(new Copied(total, HexFormat.of().formatHex(md.digest()), true));
            } catch (IOException | RuntimeException e) {
                result.completeExceptionally(e);
            }
        }

        /**
         * Waits until QEMU closed the stream and the file is written.
         *
         * @throws HpcvirtException TIMEOUT or OPERATION_FAILED; the transfer is stopped either way
         */
        Copied await(Duration timeout) {
            try {
                return result.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                close();
                throw new HpcvirtException(ErrorCode.TIMEOUT, "the state stream on " + socket + " did not end within "
                        + timeout.toSeconds() + " s");
            } catch (ExecutionException e) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "receiving the state on " + socket + " failed: "
                        + e.getCause().getMessage(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                close();
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "interrupted while receiving the state on " + socket);
            }
        }

        /** Stops listening and receiving; the socket file goes. Idempotent. */
        @Override
        public void close() {
            try {
                server.close();
                SocketChannel p = peer;
                if (p != null && !result.isDone()) {
                    p.close();
                }
                Files.deleteIfExists(socket);
            } catch (IOException e) {
                // nothing left to release
            }
        }
    }

    /**
     * Sends {@code file} to a QEMU listening on {@code socket} ({@code migrate-incoming unix:…}),
     * on a new thread. If QEMU stops reading, the rest of the file is still read for the checksum.
     */
    static CompletableFuture<Copied> send(Path socket, Path file) {
        CompletableFuture<Copied> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                f.complete(copyTo(socket, file));
            } catch (IOException | RuntimeException e) {
                f.completeExceptionally(e);
            }
        }, "state-source-" + socket.getParent().getFileName());
        t.setDaemon(true);
        t.start();
        return f;
    }

    private static Copied copyTo(Path socket, Path file) throws IOException {
        MessageDigest md = sha256();
        long total = 0;
        boolean sending = true;
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ);
                SocketChannel out = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER);
            while (in.read(buf) >= 0) {
                buf.flip();
                total += buf.remaining();
                md.update(buf);
                if (sending) {
                    buf.rewind();
                    try {
                        while (buf.hasRemaining()) {
                            out.write(buf);
                        }
                    } catch (IOException e) {
                        sending = false; // QEMU gave up on the stream; finish the checksum anyway
                    }
                }
                buf.clear();
            }
        }
        return new Copied(total, HexFormat.of().formatHex(md.digest()), sending);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
