package org.hpcvirt.backend;

import java.nio.file.Path;

/**
 * Capability: external qcow2 snapshots of a running instance's disk. After
 * {@link #snapshotDisk}, the previous top layer is read-only (frozen) and new writes go to the new
 * overlay; checkpoints keep the frozen layers so that each one stores only what changed. Not
 * thread-safe per instance; call with the guest paused when the frozen layer must match a saved
 * RAM state (see {@link Checkpointable#saveState(Path, Checkpointable.SaveOptions, Runnable)}).
 */
public interface DiskSnapshots {
    /**
     * Creates {@code newTop} (qcow2, backing = the drive's current top layer, by absolute path)
     * and makes it the drive's top layer.
     *
     * @param drive    the drive id ({@code data} for the per-VM data disk)
     * @param newTop   file to create; must not exist
     * @param nodeName a name for the new layer, unique within the instance, for {@link #setBackingName}
     * @throws org.hpcvirt.api.HpcvirtException OPERATION_FAILED if the VMM refuses
     */
    void snapshotDisk(String drive, Path newTop, String nodeName);

    /**
     * Optional first half of {@link #snapshotDisk}, to run before the guest is paused: creates
     * the empty layer file {@code newTop} over the current top layer, so that a later
     * {@code snapshotDisk(drive, newTop, nodeName)} only has to open it and switch the top layer
     * (less work inside the pause). Undo with {@link #discardPrepared} if the snapshot is not
     * taken. The default does nothing, and {@code snapshotDisk} then does all the work.
     */
    default void prepareSnapshot(String drive, Path newTop, String nodeName) {
    }

    /**
     * Deletes a layer file made by {@link #prepareSnapshot} that did not become the top layer;
     * does nothing if it is in the chain or was never prepared. Never throws.
     */
    default void discardPrepared(String nodeName, Path newTop) {
    }

    /**
     * Copies into the drive's top layer every cluster of the layers above {@code baseFile} and
     * writes {@code backingName} into the top layer's header as its backing file, so the chain
     * becomes {@code baseFile ← top}. Used to move a disk whose lower layer is node-local onto
     * shared storage. The guest may run meanwhile; returns when done.
     *
     * @param baseFile    a layer of the chain as listed by {@link #chain}
     * @param backingName the name to record for it (e.g. its real path)
     */
    void flatten(String drive, String baseFile, Path backingName, java.time.Duration timeout);

    /** The filenames of the drive's layers, top first, as the VMM opened them. */
    java.util.List<String> chain(String drive);

    /** The file of the drive's current top layer. */
    Path topLayer(String drive);
}
