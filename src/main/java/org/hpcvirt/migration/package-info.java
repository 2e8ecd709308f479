/**
 * Live migration between node daemons: the source side ({@link org.hpcvirt.migration.MigrationSource})
 * and the destination side ({@link org.hpcvirt.migration.MigrationDestination}), joined by the
 * {@link org.hpcvirt.migration.MigrationPeer} steps, which {@link org.hpcvirt.migration.OperationPeer}
 * sends as destination operations to the other daemon. Disks are not copied: both ends open the
 * same layer in the shared checkpoint store. The VM never runs on both nodes.
 */
package org.hpcvirt.migration;
