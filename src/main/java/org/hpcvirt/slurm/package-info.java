/**
 * The Slurm adapter: what a node's Prolog and Epilog do for a job with a virtual system environment
 * ({@link org.hpcvirt.slurm.VseDeployer}), the job's environment as Slurm 22.05 passes it
 * ({@link org.hpcvirt.slurm.SlurmJob}), Slurm host lists ({@link org.hpcvirt.slurm.HostList}), and how
 * a job reaches the daemons of its nodes ({@link org.hpcvirt.slurm.ClusterNodes}). A job's resilience:
 * coordinated checkpoint sets of all its VMs ({@link org.hpcvirt.slurm.JobCheckpoints},
 * {@link org.hpcvirt.slurm.CheckpointSets}), the first node's clocks for periodic sets and the time
 * limit ({@link org.hpcvirt.slurm.JobTimers}), the restore of a requeued job
 * ({@link org.hpcvirt.slurm.JobRestore}) and the removal of VMs of jobs that moved away
 * ({@link org.hpcvirt.slurm.JobReconcile}). Slurm schedules, allocates, signals, detects dead nodes
 * and requeues; nothing here re-implements it.
 */
package org.hpcvirt.slurm;
