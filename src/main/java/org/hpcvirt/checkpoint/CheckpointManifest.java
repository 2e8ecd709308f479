package org.hpcvirt.checkpoint;

import java.time.Instant;
import java.util.List;
import org.hpcvirt.profile.VmProfile;

/**
 * {@code manifest.json} of one checkpoint. Written last, inside the temporary directory, so a
 * checkpoint directory with a manifest is complete. Paths in {@link #files} and {@link #layers}
 * are relative to the store root, so a store mounted at the same path elsewhere restores as is.
 *
 * @param format         {@link #FORMAT}; readers refuse other values
 * @param id             checkpoint id, also its directory name
 * @param vm             the VM it was taken of
 * @param tag            free text given by the user, or {@code suspend} for pause-to-storage; may be null
 * @param created        when the state was captured
 * @param profile        the VM's profile (restore starts the same device model)
 * @param backend        backend name
 * @param backendVersion backend (QEMU) version
 * @param live           true if memory was copied while the guest ran
 * @param pauseMs        how long the guest's vCPUs were stopped
 * @param totalMs        time to capture RAM and disk state (before hashing and fsync)
 * @param stateBytes     size of the RAM/device state file
 * @param heartbeatSeq   sequence of the last heartbeat received before the pause, or -1
 * @param counter        the agent's memory-continuity counter read just before the pause, or -1
 * @param guestUptimeMs  guest uptime in that heartbeat, or -1
 * @param imageBase      real path of the image's base disk at the bottom of the chain, or null (no disk)
 * @param diskBytes      virtual size of the data disk, or 0
 * @param layers         qcow2 layers of the data disk, bottom first (frozen; shared with other checkpoints)
 * @param files          every file the checkpoint needs, with size and SHA-256
 * @param owner          the user the VM belonged to when the checkpoint was taken; null in checkpoints
 *                       written before VMs had owners (then only administrators see them)
 */
public record CheckpointManifest(int format, String id, String vm, String tag, Instant created, VmProfile profile,
        String backend, String backendVersion, boolean live, long pauseMs, long totalMs, long stateBytes,
        long heartbeatSeq, long counter, long guestUptimeMs, String imageBase, long diskBytes,
        List<String> layers, List<FileEntry> files, String owner) {

    /** Version of this format. */
    public static final int FORMAT = 1;
    /** Name of the RAM/device state file inside the checkpoint directory. */
    public static final String STATE_FILE = "state.bin";
    /** Tag of checkpoints written by suspend. */
    public static final String SUSPEND_TAG = "suspend";

    public CheckpointManifest {
        layers = layers == null ? List.of() : List.copyOf(layers);
        files = files == null ? List.of() : List.copyOf(files);
    }

    /** The state file, relative to the store root. */
    public String stateFile() {
        return id + "/" + STATE_FILE;
    }

    /** Total bytes of the files this checkpoint refers to (shared layers included). */
    public long totalBytes() {
        return files.stream().mapToLong(FileEntry::size).sum();
    }

    /**
     * One file of a checkpoint.
     *
     * @param path   relative to the store root
     * @param size   bytes
     * @param sha256 lower-case hex
     */
    public record FileEntry(String path, long size, String sha256) {
    }
}
