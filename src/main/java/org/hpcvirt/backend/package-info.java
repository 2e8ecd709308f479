/**
 * The backend SPI: a {@link org.hpcvirt.backend.Backend} turns a profile into a running
 * {@link org.hpcvirt.backend.Instance} (a virtualization-solution process), and re-attaches to one
 * after a daemon restart. Optional capabilities ({@link org.hpcvirt.backend.Pausable}, …) are
 * looked up with {@link org.hpcvirt.backend.Instance#capability(Class)}, never assumed. An unusable
 * backend is reported by {@link org.hpcvirt.backend.Backend#probe()} with its reason; there is no
 * silent fallback to another backend.
 */
package org.hpcvirt.backend;
