/** SQLite persistence of VM records and events for the {@link org.hpcvirt.vm.VmRegistry} and the {@link org.hpcvirt.vm.EventBus}. */
package org.hpcvirt.vm.store;
