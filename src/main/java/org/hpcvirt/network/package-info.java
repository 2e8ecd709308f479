/**
 * Private networks of a node: the layer-2 network of one Slurm job (or any named group of VMs)
 * that spans several nodes. On each node a network is a Linux bridge, a VXLAN device that carries
 * the bridge's frames to the other nodes of the network over UDP (head-end replication: one
 * all-zero forwarding entry per peer), and one tap per VM, which QEMU opens. All of it is kernel
 * state found by interface name, so a restarted daemon finds its networks again and nothing is
 * kept on disk. Used by the daemon's operations ({@code CreateNetwork}, {@code ListNetworks},
 * {@code DeleteNetwork}) and by the QEMU backend, which attaches a VM's tap before it starts QEMU.
 */
package org.hpcvirt.network;
