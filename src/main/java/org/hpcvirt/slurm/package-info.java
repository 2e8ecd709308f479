/**
 * The Slurm adapter: what a node's Prolog and Epilog do for a job with a virtual system environment
 * ({@link org.hpcvirt.slurm.VseDeployer}), the job's environment as Slurm 22.05 passes it
 * ({@link org.hpcvirt.slurm.SlurmJob}), Slurm host lists ({@link org.hpcvirt.slurm.HostList}), and how
 * a job reaches the daemons of its nodes ({@link org.hpcvirt.slurm.ClusterNodes}). Slurm schedules,
 * allocates, signals and requeues; nothing here re-implements it.
 */
package org.hpcvirt.slurm;
