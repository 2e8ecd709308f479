/**
 * The Slurm adapter: what a node's Prolog and Epilog do for a job with a virtual system environment
 * ({@link org.hpcvirt.slurm.VseDeployer}), the job's environment as Slurm 22.05 passes it
 * ({@link org.hpcvirt.slurm.SlurmJob}), Slurm host lists ({@link org.hpcvirt.slurm.HostList}), and how
 * a job reaches the daemons of its nodes ({@link org.hpcvirt.slurm.ClusterNodes}). A job's spare nodes
 * ({@link org.hpcvirt.slurm.Spares}) get no VM; a predicted node failure drains the node and moves the
 * VMs of its jobs to their spares ({@link org.hpcvirt.slurm.JobEvacuation}); {@link org.hpcvirt.slurm.ClusterCheck}
 * compares Slurm's view ({@link org.hpcvirt.slurm.SlurmView}) with the daemons'
 * ({@link org.hpcvirt.slurm.ClusterDaemons}). A job's resilience: coordinated checkpoint sets of all its
 * VMs ({@link org.hpcvirt.slurm.JobCheckpoints}, {@link org.hpcvirt.slurm.CheckpointSets}), the first
 * node's clocks for periodic sets and the time limit ({@link org.hpcvirt.slurm.JobTimers}), the restore
 * of a requeued job ({@link org.hpcvirt.slurm.JobRestore}) and the removal of VMs of jobs that moved
 * away ({@link org.hpcvirt.slurm.JobReconcile}). Slurm schedules, allocates, signals, detects dead nodes
 * and requeues; nothing here re-implements it, and no VM is moved outside its job's allocation.
 */
package org.hpcvirt.slurm;
