/**
 * VM profiles: the {@link org.hpcvirt.profile.VmProfile} record, reading it from YAML with
 * {@link org.hpcvirt.profile.ProfileLoader} (strict validation against the host's
 * {@link org.hpcvirt.profile.HostLimits}, every problem reported with file, line and field as a
 * {@link org.hpcvirt.profile.ProfileException}) and writing it back as canonical YAML. The JSON
 * Schema {@code profile.schema.json} in this package's resources describes the same format for
 * editors. Depends only on {@code org.hpcvirt.api}; the center/admin/user policy merge will also
 * live here.
 */
package org.hpcvirt.profile;
