/**
 * Checkpoints: the on-disk format ({@link org.hpcvirt.checkpoint.CheckpointManifest}, a versioned
 * manifest beside the RAM/device state file), the {@link org.hpcvirt.checkpoint.CheckpointStore}
 * (a directory, possibly on shared storage, written atomically: temporary name, fsync, rename),
 * verification by SHA-256 before restore, retention, and the qcow2 layer chain that holds disk
 * state ({@link org.hpcvirt.checkpoint.Qcow2}). The VM service drives checkpoint, restore and
 * suspend because it owns each VM's lock and QEMU; this package never talks to a VMM.
 */
package org.hpcvirt.checkpoint;
