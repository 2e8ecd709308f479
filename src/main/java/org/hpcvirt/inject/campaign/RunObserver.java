package org.hpcvirt.inject.campaign;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.hpcvirt.api.DaemonThreads;
import org.hpcvirt.backend.InstanceListener;
import org.hpcvirt.guest.GuestChannel;
import org.hpcvirt.guest.Heartbeat;

/**
 * Watches one victim during one run and records when each detector first fired: the VMM's
 * GUEST_PANICKED event, heartbeat loss (no heartbeat for the profile's timeout), a console line such as
 * "Kernel panic" / "Oops" / "divide error", and the VMM process exit. Registered as the instance's
 * listener and the guest channel's listener; a private thread polls the console file and the heartbeat
 * age every 20 ms. Thread-safe; {@link #close()} stops the thread.
 */
public final class RunObserver implements InstanceListener, GuestChannel.Listener, AutoCloseable {
    /** Console lines that mean the guest kernel failed. */
    static final Pattern CONSOLE = Pattern.compile(
            "Kernel panic|Oops|divide error|BUG: |general protection fault|soft lockup|Call Trace");

    private final Path console;
    private final Duration heartbeatTimeout;
    private final ScheduledExecutorService poller;
    private long consoleOffset;
    private volatile Instant lastHeartbeat;
    private volatile long heartbeats;
    private volatile Instant panicAt;
    private volatile Instant exitAt;
    private volatile Instant consoleAt;
    private volatile String consoleLine;
    private volatile Instant heartbeatLossAt;
    private volatile boolean watchHeartbeats;

    /** Starts watching {@code console} (reading from its current end) and the heartbeat age. */
    public RunObserver(Path console, Duration heartbeatTimeout) {
        this.console = console;
        this.heartbeatTimeout = heartbeatTimeout;
        try {
            this.consoleOffset = Files.exists(console) ? Files.size(console) : 0;
        } catch (IOException e) {
            this.consoleOffset = 0;
        }
        this.poller = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("run-observer"));
        poller.scheduleWithFixedDelay(this::poll, 20, 20, TimeUnit.MILLISECONDS);
    }

    /** Arms heartbeat-loss detection from now on (call once the first heartbeat arrived). */
    public void armHeartbeatWatch() {
        lastHeartbeat = Instant.now();
        watchHeartbeats = true;
    }

    @Override
    public void onEvent(Kind kind, String name, Map<String, Object> data) {
        Instant now = Instant.now();
        if (kind == Kind.GUEST_PANICKED && panicAt == null) {
            panicAt = now;
        } else if (kind == Kind.EXITED && exitAt == null) {
            exitAt = now;
        }
    }

    @Override
    public void onHeartbeat(Heartbeat heartbeat) {
        lastHeartbeat = heartbeat.receivedAt();
        heartbeats++;
    }

    private void poll() {
        Instant now = Instant.now();
        Instant last = lastHeartbeat;
        if (watchHeartbeats && heartbeatLossAt == null && last != null
                && Duration.between(last, now).compareTo(heartbeatTimeout) > 0) {
            heartbeatLossAt = now;
        }
        if (consoleAt == null) {
            try (RandomAccessFile f = new RandomAccessFile(console.toFile(), "r")) {
                long len = f.length();
                if (len > consoleOffset) {
                    // re-read a little before the offset so a pattern split across two polls is still seen
                    long from = Math.max(0, consoleOffset - 64);
                    byte[] b = new byte[(int) Math.min(len - from, 1 << 20)];
                    f.seek(from);
                    f.readFully(b);
                    Matcher m = CONSOLE.matcher(new String(b, StandardCharsets.ISO_8859_1));
                    if (m.find()) {
                        consoleAt = now;
                        consoleLine = m.group();
                    }
                    consoleOffset = from + b.length;
                }
            } catch (IOException e) {
                // console not there yet
            }
        }
    }

    /** Heartbeats seen. */
    public long heartbeats() {
        return heartbeats;
    }

    /** The detections so far. */
    public Detections detections() {
        return new Detections(panicAt, heartbeatLossAt, consoleAt, consoleLine, exitAt);
    }

    @Override
    public void close() {
        poller.shutdownNow();
    }

    /**
     * When each detector first fired (null = not).
     *
     * @param panic         GUEST_PANICKED from the VMM
     * @param heartbeatLoss no heartbeat for the timeout
     * @param console       a kernel failure line on the console
     * @param consoleLine   the matched text
     * @param vmmExit       the VMM process ended
     */
    public record Detections(Instant panic, Instant heartbeatLoss, Instant console, String consoleLine, Instant vmmExit) {
        /** True if the guest kernel or the VMM was seen to fail. */
        public boolean victimDown() {
            return panic != null || console != null || vmmExit != null || heartbeatLoss != null;
        }
    }
}
