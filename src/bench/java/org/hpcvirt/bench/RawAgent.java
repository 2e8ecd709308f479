package org.hpcvirt.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.guest.GuestChannel;
import org.hpcvirt.guest.Heartbeat;

/** The benchmarks' raw baselines talking to the guest agent directly, without a daemon. */
final class RawAgent {
    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    private RawAgent() {
    }

    /**
     * Connects to an agent socket (retrying every 2 ms while it appears) and waits for one
     * heartbeat; completes {@code first} with its {@link System#nanoTime()}. Gives up after two
     * minutes, or as soon as {@code p} (if not null) has exited.
     *
     * @return the open channel; the caller closes it
     */
    static GuestChannel awaitHeartbeat(Path sock, Process p, CompletableFuture<Long> first) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        GuestChannel ch = null;
        while (ch == null) {
            if (System.nanoTime() > deadline || (p != null && !p.isAlive())) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "no agent socket at " + sock);
            }
            try {
                if (Files.exists(sock)) {
                    ch = GuestChannel.connect(sock, new GuestChannel.Listener() {
                        @Override
                        public void onHeartbeat(Heartbeat hb) {
                            first.complete(System.nanoTime());
                        }
                    });
                    break;
                }
            } catch (HpcvirtException e) {
                // not listening yet
            }
            LockSupport.parkNanos(2_000_000L);
        }
        try {
            first.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            return ch;
        } catch (Exception e) {
            ch.close();
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "no heartbeat on " + sock, e);
        }
    }
}
