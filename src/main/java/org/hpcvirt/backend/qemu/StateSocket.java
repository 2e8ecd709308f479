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
import org.hpcvirt.api.DaemonThreads;
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
        private final Path file;
        private final ServerSocketChannel server;
        private final CompletableFuture<Copied> result = new CompletableFuture<>();
        private volatile SocketChannel peer;

        Sink(Path socket, Path file) {
            this.file = file;
            this.socket = socket;
            try {
                Files.deleteIfExists(socket);
                server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
                server.bind(UnixDomainSocketAddress.of(socket));
            } catch (IOException e) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot listen on " + socket + " for the state of " + file, e);
            }
            DaemonThreads.start("state-sink-" + socket.getParent().getFileName(), () -> receive(file));
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
                try (HashingBuffers hb = new HashingBuffers(); WriteBehind wb = new WriteBehind(out)) {
                    long total = 0;
                    boolean eof = false;
                    while (!eof) {
                        ByteBuffer buf = hb.next();
                        while (buf.hasRemaining()) {
                            if (in.read(buf) < 0) {
                                eof = true;
                                break;
                            }
                        }
                        buf.flip();
                        total += buf.remaining();
                        hb.hash(buf);
                        while (buf.hasRemaining()) {
                            out.write(buf);
                        }
                        wb.written(total);
                    }
                    result.complete(new Copied(total, hb.digest(), true));
                }
            } catch (IOException | RuntimeException e) {
                result.completeExceptionally(e);
            }
        }

        /**
         * The failure to report when QEMU says the stream broke: this side's own (e.g. the disk is
         * full), which made QEMU see a broken pipe, if it failed; else QEMU's {@code reported}.
         */
        HpcvirtException explain(HpcvirtException reported) {
            try {
                result.get(1, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                HpcvirtException own = new HpcvirtException(ErrorCode.OPERATION_FAILED, "writing the state to " + file + " failed: "
                        + e.getCause().getMessage(), e.getCause());
                own.addSuppressed(reported);
                return own;
            } catch (TimeoutException | InterruptedException e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
            }
            return reported;
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
        DaemonThreads.start("state-source-" + socket.getParent().getFileName(), () -> {
            try {
                f.complete(copyTo(socket, file));
            } catch (IOException | RuntimeException e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    /**
     * Reads {@code file} once on a daemon thread and discards the data, so that it is in the page
     * cache when it is streamed: called while QEMU starts up (~50 ms here), which it overlaps.
     * Errors are ignored; the stream reports them.
     */
    static void prefetch(Path file) {
        DaemonThreads.start("state-prefetch", () -> {
            try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
                ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER);
                while (in.read(buf) >= 0) {
                    buf.clear();
                }
            } catch (IOException e) {
                // the load itself will say what is wrong with the file
            }
        });
    }

    private static Copied copyTo(Path socket, Path file) throws IOException {
        long total = 0;
        boolean sending = true;
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ);
                SocketChannel out = SocketChannel.open(UnixDomainSocketAddress.of(socket));
                HashingBuffers hb = new HashingBuffers()) {
            while (true) {
                ByteBuffer buf = hb.next();
                while (buf.hasRemaining() && in.read(buf) >= 0) {
                    // fill the buffer: fewer, larger writes to QEMU
                }
                buf.flip();
                if (!buf.hasRemaining()) {
                    break;
                }
                total += buf.remaining();
                hb.hash(buf);
                if (sending) {
                    try {
                        while (buf.hasRemaining()) {
                            out.write(buf);
                        }
                    } catch (IOException e) {
                        sending = false; // QEMU gave up on the stream; finish the checksum anyway
                    }
                }
            }
            return new Copied(total, hb.digest(), sending);
        }
    }

    /**
     * Starts writing the file back to the disk while it is still being received: every
     * {@link #STEP} bytes, a {@code force} on a second thread, so that the caller's final fsync
     * only has the tail left instead of the whole file. Never more than one force at a time.
     * Failures are left to the caller's final fsync, which reports them.
     */
    private static final class WriteBehind implements AutoCloseable {
        private static final long STEP = 8L << 20;
        private final FileChannel out;
        private final java.util.concurrent.ExecutorService flusher = java.util.concurrent.Executors.newSingleThreadExecutor(DaemonThreads.named("state-writeback"));
        private java.util.concurrent.Future<?> running;
        private long flushedAt;

        WriteBehind(FileChannel out) {
            this.out = out;
        }

        void written(long total) {
            if (total - flushedAt >= STEP && (running == null || running.isDone())) {
                flushedAt = total;
                running = flusher.submit(() -> {
                    try {
                        out.force(false);
                    } catch (IOException e) {
                        // the final fsync reports it
                    }
                });
            }
        }

        @Override
        public void close() {
            flusher.shutdown();
            try {
                flusher.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * A ring of buffers whose contents are hashed, in order, on a second thread while the caller
     * moves them on: the checksum costs no time on the copying thread, so QEMU is not kept
     * waiting for it (on a Unix socket, whose buffer holds a fraction of one of these, hashing
     * inline made the two sides take turns). {@link #next} hands out a buffer only once its
     * previous contents are hashed. One user thread; close to stop the hashing thread.
     */
    private static final class HashingBuffers implements AutoCloseable {
        private static final int RING = 4;
        private final MessageDigest md = sha256();
        private final java.util.concurrent.ExecutorService hasher = java.util.concurrent.Executors.newSingleThreadExecutor(DaemonThreads.named("state-sha256"));
        private final ByteBuffer[] bufs = new ByteBuffer[RING];
        private final java.util.concurrent.Future<?>[] hashed = new java.util.concurrent.Future<?>[RING];
        private int slot = -1;

        /** The next buffer, cleared, once the hashing of what it held before is done. */
        ByteBuffer next() throws IOException {
            slot = (slot + 1) % RING;
            await(slot);
            if (bufs[slot] == null) {
                bufs[slot] = ByteBuffer.allocateDirect(BUFFER);
            }
            return bufs[slot].clear();
        }

        /** Hashes {@code buf}'s remaining bytes on the hashing thread; the caller may read buf meanwhile, not write it. */
        void hash(ByteBuffer buf) {
            ByteBuffer view = buf.duplicate();
            hashed[slot] = hasher.submit(() -> md.update(view));
        }

        /** The hex SHA-256 of everything hashed, after all of it is. */
        String digest() throws IOException {
            for (int i = 0; i < RING; i++) {
                await(i);
            }
            return HexFormat.of().formatHex(md.digest());
        }

        private void await(int i) throws IOException {
            if (hashed[i] == null) {
                return;
            }
            try {
                hashed[i].get();
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IOException("hashing failed", e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while hashing");
            }
            hashed[i] = null;
        }

        @Override
        public void close() {
            hasher.shutdownNow();
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
