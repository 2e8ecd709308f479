package org.hpcvirt.guest;

// TEMPORARY STUB: replaced by the real implementation from the guest branch.
import java.nio.file.Path;
import java.time.Duration;

public final class GuestChannel implements AutoCloseable {
    public interface Listener {
        default void onHello(Hello hello) { }
        default void onHeartbeat(Heartbeat hb) { }
        default void onGarbage(String reason) { }
        default void onDisconnected() { }
    }
    public static GuestChannel connect(Path socket, Listener l) { throw new UnsupportedOperationException(); }
    public ExecResult exec(String cmd, Duration timeout) { throw new UnsupportedOperationException(); }
    public CounterReading counter(Duration timeout) { throw new UnsupportedOperationException(); }
    public void shutdownGuest() { }
    public Stats stats() { return null; }
    @Override public void close() { }
    public record Stats(long lines, long garbage, long rateLimited, long oversize) { }
}
