package org.hpcvirt.backend.libvirt;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.hpcvirt.api.DaemonThreads;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.libvirt.Connect;
import org.libvirt.Library;
import org.libvirt.LibvirtException;

/**
 * Opening libvirt connections with a deadline, and the one libvirt event loop of this JVM. libvirt's
 * {@code virConnectOpen} has no timeout of its own: a libvirtd that accepts but never answers would
 * block the caller for good, so the open runs on a daemon thread and the caller gives up after the
 * deadline (the thread is left to finish or hang on its own). Thread-safe; static only.
 */
final class LibvirtConnection {
    private static final Object LOOP_LOCK = new Object();
    private static boolean loopStarted;

    private LibvirtConnection() {
    }

    /**
     * Opens {@code uri} read-write, registered with the event loop and with keep-alive probes (so a
     * libvirtd that dies is noticed). The caller owns the connection and closes it.
     *
     * @throws HpcvirtException BACKEND_UNAVAILABLE with libvirt's reason if it fails or does not
     *         answer within {@code deadline}
     */
    static Connect open(String uri, Duration deadline) {
        startEventLoop();
        CompletableFuture<Connect> f = new CompletableFuture<>();
        Thread t = DaemonThreads.named("libvirt-connect").newThread(() -> {
            try {
                f.complete(new LibvirtNative.Conn(uri));
            } catch (LibvirtException | RuntimeException | LinkageError e) {
                f.completeExceptionally(e);
            }
        });
        t.start();
        Connect c;
        try {
            c = f.get(deadline.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            // a late connection is closed by whoever completes it: nobody will use it
            f.thenAccept(LibvirtConnection::closeQuietly);
            throw new HpcvirtException(ErrorCode.BACKEND_UNAVAILABLE, "libvirtd at " + uri + " did not answer within "
                    + deadline.toMillis() + " ms");
        } catch (ExecutionException e) {
            throw new HpcvirtException(ErrorCode.BACKEND_UNAVAILABLE, "cannot connect to libvirtd at " + uri + ": "
                    + message(e.getCause()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HpcvirtException(ErrorCode.BACKEND_UNAVAILABLE, "interrupted while connecting to " + uri);
        }
        try {
            c.setKeepAlive(5, 3);
        } catch (LibvirtException e) {
            // keep-alive is an early warning only; the /proc exit check still notices a gone guest
        }
        return c;
    }

    /** libvirt's own message without its "libvirt: error :" decoration, one line. */
    static String message(Throwable e) {
        if (e instanceof LibvirtException le && le.getError() != null && le.getError().getMessage() != null) {
            return le.getError().getMessage().strip().replaceAll("\\s+", " ");
        }
        if (e instanceof LinkageError) {
            return "libvirt client library not loadable (" + e.getMessage() + "); install libvirt0";
        }
        return String.valueOf(e.getMessage());
    }

    static void closeQuietly(Connect c) {
        if (c != null) {
            try {
                c.close();
            } catch (LibvirtException | RuntimeException e) {
                // closing a connection to a dead libvirtd fails; nothing is left to release
            }
        }
    }

    /**
     * Registers libvirt's default event loop implementation once and runs it on a daemon thread
     * ({@code libvirt-events}): every connection's domain events are dispatched there. Also silences
     * libvirt's habit of printing every error to stderr (errors reach callers as exceptions).
     */
    private static void startEventLoop() {
        synchronized (LOOP_LOCK) {
            if (loopStarted) {
                return;
            }
            try {
                Connect.setErrorCallback((userData, error) -> {
                });
                Library.initEventLoop();
            } catch (LibvirtException | LinkageError e) {
                throw new HpcvirtException(ErrorCode.BACKEND_UNAVAILABLE, "cannot start libvirt's event loop: " + message(e));
            }
            Thread t = DaemonThreads.named("libvirt-events").newThread(() -> {
                try {
                    Library.runEventLoop();
                } catch (LibvirtException | InterruptedException e) {
                    // the loop ends only with the JVM
                }
            });
            t.start();
            loopStarted = true;
        }
    }
}
