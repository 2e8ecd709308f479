/**
 * Records, enums and the error hierarchy shared by every other package: {@link org.hpcvirt.api.VmState},
 * {@link org.hpcvirt.api.VmEvent}, {@link org.hpcvirt.api.ErrorCode} and {@link org.hpcvirt.api.HpcvirtException}, the units
 * ({@link org.hpcvirt.api.Durations}, {@link org.hpcvirt.api.DataSize}), the wire JSON mapping
 * ({@link org.hpcvirt.api.Json}) and where a node keeps its state ({@link org.hpcvirt.api.HpcvirtHome}).
 * Depends on nothing else in hpcvirt.
 */
package org.hpcvirt.api;
