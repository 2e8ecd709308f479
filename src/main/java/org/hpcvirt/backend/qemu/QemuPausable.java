package org.hpcvirt.backend.qemu;

import java.time.Duration;
import java.util.Map;
import org.hpcvirt.backend.Pausable;

/** {@link Pausable} for one QEMU: QMP {@code stop} and {@code cont}. Thread-safe like its QMP session. */
final class QemuPausable implements Pausable {
    private final QemuInstance q;

    QemuPausable(QemuInstance q) {
        this.q = q;
    }

    @Override
    public void pause() {
        q.execute("stop", Map.of());
    }

    /**
     * {@code cont}. Right after a migration to a file completed, QEMU has sent the
     * {@code completed} event but may not yet have left its finish-migrate run state, and refuses
     * {@code cont} for that short moment ("Migration is not finalized yet"); that answer is retried
     * for up to a second.
     */
    @Override
    public void resume() {
        long deadline = System.nanoTime() + Duration.ofSeconds(1).toNanos();
        while (true) {
            try {
                q.execute("cont", Map.of());
                return;
            } catch (QmpException e) {
                if (!e.desc().contains("not finalized") || System.nanoTime() > deadline) {
                    throw e;
                }
                java.util.concurrent.locks.LockSupport.parkNanos(100_000L);
            }
        }
    }
}
