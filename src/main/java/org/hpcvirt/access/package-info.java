/**
 * Who may do what on a node: local callers identified by the kernel ({@link org.hpcvirt.access.LocalUsers}),
 * owners of VMs and checkpoints, the check every operation passes before it runs, and the audit
 * record of every operation with its caller.
 */
package org.hpcvirt.access;
