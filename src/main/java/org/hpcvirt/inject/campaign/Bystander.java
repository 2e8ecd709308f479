package org.hpcvirt.inject.campaign;

import java.time.Duration;
import java.time.Instant;
import org.hpcvirt.backend.Instance;
import org.hpcvirt.guest.GuestChannel;
import org.hpcvirt.guest.Heartbeat;

/**
 * A VM that shares the node with the victims and must not notice their faults: its heartbeat sequence
 * must go on without a gap and without a late beat (longer apart than the heartbeat timeout), and its
 * VMM must stay alive. Thread-safe. The campaign owns the instance and the channel.
 */
final class Bystander implements GuestChannel.Listener {
    private final String name;
    private final Duration timeout;
    private Instance instance;
    private GuestChannel channel;
    private long lastSeq = -1;
    private Instant lastAt;
    private long gaps;
    private long late;
    private long beats;

    Bystander(String name, Duration timeout) {
        this.name = name;
        this.timeout = timeout;
    }

    String name() {
        return name;
    }

    synchronized void attach(Instance inst, GuestChannel ch) {
        this.instance = inst;
        this.channel = ch;
    }

    @Override
    public synchronized void onHeartbeat(Heartbeat hb) {
        if (lastSeq >= 0 && hb.seq() != lastSeq + 1) {
            gaps++;
        }
        if (lastAt != null && Duration.between(lastAt, hb.receivedAt()).compareTo(timeout) > 0) {
            late++;
        }
        lastSeq = hb.seq();
        lastAt = hb.receivedAt();
        beats++;
    }

    synchronized long beats() {
        return beats;
    }

    /** A position to judge from. */
    synchronized long[] mark() {
        return new long[] {gaps, late, beats};
    }

    /** Empty if unaffected since {@code mark}, else what went wrong. */
    synchronized String problemSince(long[] mark) {
        if (instance == null || !instance.isAlive()) {
            return name + ": VMM process gone";
        }
        if (gaps > mark[0]) {
            return name + ": heartbeat sequence gap";
        }
        if (late > mark[1]) {
            return name + ": heartbeat later than " + timeout.toMillis() + " ms";
        }
        if (lastAt == null || Duration.between(lastAt, Instant.now()).compareTo(timeout) > 0) {
            return name + ": no heartbeat for " + timeout.toMillis() + " ms";
        }
        return "";
    }

    synchronized void stop() {
        if (channel != null) {
            channel.close();
        }
        if (instance != null) {
            instance.kill();
            instance.close();
        }
    }
}
