package org.hpcvirt.backend;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Capability: write the guest's RAM and device state to a file, from which
 * {@link Backend#launch(LaunchSpec)} with {@link LaunchSpec#incoming()} starts an identical guest.
 * This is the memory part of a checkpoint; disk state is the caller's business. Not thread-safe
 * per instance: one save at a time.
 */
public interface Checkpointable {
    /**
     * Saves the state to {@code file} (created or truncated; not fsynced — the caller fsyncs).
     * Without {@code live}, vCPUs are stopped first; with it, memory is copied while the guest
     * runs and vCPUs stop only for the final pass. Either way the guest is left <b>paused</b> at
     * the end, exactly at the saved state: the caller resumes it or not.
     *
     * @throws org.hpcvirt.api.HpcvirtException OPERATION_FAILED if the VMM reports failure,
     *         TIMEOUT after {@code options.timeout()} (the save is cancelled)
     */
    SaveResult saveState(Path file, SaveOptions options);

    /**
     * Like {@link #saveState(Path, SaveOptions)}, but runs {@code atSwitchover} once the vCPUs are
     * stopped for the final pass and before the device state is written: the place to freeze the
     * disk (see {@link DiskSnapshots}) so that RAM and disk describe the same instant. If the hook
     * throws, the save is cancelled, the guest resumes if it was running, and the exception
     * propagates. The hook runs on the calling thread.
     *
     * @throws UnsupportedOperationException if the backend has no such hook (the default)
     */
    default SaveResult saveState(Path file, SaveOptions options, Runnable atSwitchover) {
        if (atSwitchover == null) {
            return saveState(file, options);
        }
        throw new UnsupportedOperationException("this backend cannot run a hook at switch-over");
    }

    /**
     * Like {@link #saveState(Path, SaveOptions, Runnable)}, and runs {@code atCompletion} the moment
     * the state is completely written, before the save's statistics are gathered: the place to
     * resume the guest so that it is not kept paused any longer than the save needs. The default
     * runs it after the save returns.
     */
    default SaveResult saveState(Path file, SaveOptions options, Runnable atSwitchover, Runnable atCompletion) {
        SaveResult r = saveState(file, options, atSwitchover);
        if (atCompletion != null) {
            atCompletion.run();
        }
        return r;
    }

    /**
     * How to save.
     *
     * @param live                 copy while running
     * @param maxBandwidthBytesPerSec transfer cap; 0 = unlimited
     * @param downtimeLimit        longest acceptable final pause (live only)
     * @param timeout              give up after this long
     */
    record SaveOptions(boolean live, long maxBandwidthBytesPerSec, Duration downtimeLimit, Duration timeout) {
        /** Paused copy, unlimited bandwidth, 5 minutes. */
        public static SaveOptions paused() {
            return new SaveOptions(false, 0, Duration.ofMillis(300), Duration.ofMinutes(5));
        }

        /** Live copy, unlimited bandwidth, 10 ms final pause target, 5 minutes. */
        public static SaveOptions liveCopy() {
            return new SaveOptions(true, 0, Duration.ofMillis(10), Duration.ofMinutes(5));
        }
    }

    /**
     * What a save did.
     *
     * @param bytes       bytes of state the VMM sent
     * @param totalMs     time from start to completion as the VMM measured it
     * @param downtimeMs  time the vCPUs were stopped for the final pass (for a paused save, the whole save)
     * @param fileBytes   size of the file written, or -1 if the backend does not know it
     * @param sha256      SHA-256 of the file written (lower-case hex), computed while writing; null if
     *                    the backend did not compute it
     * @param pauseMicros how long the vCPUs were stopped, by the VMM's own clock, if they were
     *                    resumed before the save returned (the {@code atCompletion} hook); else -1
     * @param phases      where the pause went, in µs after the vCPUs stopped, by the VMM's clock where it
     *                    has one (for QEMU: {@code pre-switchover}, {@code hook} — the switch-over hook's
     *                    own duration —, {@code completed}, {@code resumed}); empty if unknown
     */
    record SaveResult(long bytes, long totalMs, long downtimeMs, long fileBytes, String sha256, long pauseMicros,
            java.util.Map<String, Long> phases) {
        public SaveResult {
            phases = phases == null ? java.util.Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(phases));
        }

        /** A result without file checksum or measured pause. */
        public SaveResult(long bytes, long totalMs, long downtimeMs) {
            this(bytes, totalMs, downtimeMs, -1, null, -1, null);
        }
    }
}
