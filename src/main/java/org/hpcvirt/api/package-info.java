/**
 * Records, enums and the error hierarchy shared by every other package: {@link org.hpcvirt.api.VmState},
 * {@link org.hpcvirt.api.VmEvent}, {@link org.hpcvirt.api.ErrorCode} and {@link org.hpcvirt.api.HpcvirtException}.
 * Depends on nothing else in hpcvirt.
 */
package org.hpcvirt.api;
