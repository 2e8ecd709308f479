/**
 * Virtual system environments (VSE): the environment and VM shape a batch job asks for
 * ({@link org.hpcvirt.vse.VseFile}), the administrator's constraints ({@link org.hpcvirt.vse.VsePolicy}),
 * and their merge into one definition where each field says who decided it ({@link org.hpcvirt.vse.VseMerge},
 * {@link org.hpcvirt.vse.MergedVse}). The Slurm glue that deploys the merged definition on a job's
 * nodes at job start lives in {@code org.hpcvirt.slurm} ({@code VseDeployer}); what a node keeps of each
 * deployment is its {@link org.hpcvirt.vse.DeploymentRecords}, which the node daemon also serves.
 */
package org.hpcvirt.vse;
