/** SQLite persistence of VM records and events for {@link org.hpcvirt.vm.VmService}. */
package org.hpcvirt.vm.store;
