/**
 * Checkpoints: the on-disk format ({@link org.hpcvirt.checkpoint.CheckpointManifest}, a versioned
 * manifest beside the RAM/device state file), the {@link org.hpcvirt.checkpoint.CheckpointStore}
 * (a directory, possibly on shared storage, written atomically: temporary name, fsync, rename),
 * verification by SHA-256 before restore, retention, and the qcow2 layer chain that holds disk
 * state ({@link org.hpcvirt.checkpoint.Qcow2}); and the operations on it:
 * {@link org.hpcvirt.checkpoint.CheckpointService} (checkpoint, suspend, bounded disk chains) and
 * {@link org.hpcvirt.checkpoint.RestoreService} (restore, wake, hand-over), which reach the VMM only
 * through the backend's capabilities.
 */
package org.hpcvirt.checkpoint;
