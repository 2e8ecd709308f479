/**
 * The VM service: one lifecycle state machine per VM, driven by requests (define, start, pause,
 * …) and by detections (heartbeat loss, guest panic, QEMU exit). It owns the node's VMs, persists
 * them and their events in SQLite ({@code store}), and re-attaches to running QEMU processes when a
 * daemon restarts.
 */
package org.hpcvirt.vm;
