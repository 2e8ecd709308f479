/**
 * The live fault-tolerance executor: drives the same {@link org.hpcvirt.ft.FtPolicy} classes as
 * the simulator with real time, real detections (QEMU exit, guest panic) and real predictions
 * (requests and host sensors), and carries out their actions through {@link
 * org.hpcvirt.ft.live.FtMechanisms} (checkpoint, migration, pause-to-storage, restart).
 */
package org.hpcvirt.ft.live;
