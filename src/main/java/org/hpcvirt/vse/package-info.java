/**
 * Virtual system environments (VSE): the environment and VM shape a batch job asks for
 * ({@link org.hpcvirt.vse.VseFile}), the administrator's constraints ({@link org.hpcvirt.vse.VsePolicy}),
 * their merge into one definition where each field says who decided it ({@link org.hpcvirt.vse.VseMerge},
 * {@link org.hpcvirt.vse.MergedVse}), and the VMs that definition becomes on one node
 * ({@link org.hpcvirt.vse.VseDeployment}). The Slurm glue that deploys them at job start lives in
 * {@code org.hpcvirt.slurm}.
 */
package org.hpcvirt.vse;
