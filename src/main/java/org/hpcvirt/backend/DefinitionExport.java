package org.hpcvirt.backend;

/**
 * Backend capability: writes the definition of a guest in the backend's own tool's format, e.g.
 * the libvirt backend's domain XML that {@code virsh define} accepts. It is the same text the
 * backend itself launches, so an exported VM boots the same guest. Looked up with
 * {@code backend.capability(DefinitionExport.class)}; {@code hpcvirt vm export --format NAME} uses
 * the backend called NAME. Pure and thread-safe.
 */
public interface DefinitionExport {
    /**
     * The definition of {@code spec}'s guest. Files the spec names need not exist yet (a VM that
     * never ran has no data disk); the definition only refers to them.
     */
    String export(LaunchSpec spec);
}
