package org.hpcvirt.backend;

import java.nio.file.Path;
import java.util.Optional;
import org.hpcvirt.profile.VmProfile;

/**
 * Everything a backend needs to start one instance.
 *
 * @param profile   the validated profile
 * @param runDir    an existing private directory for sockets, logs and pid files (short path: Unix
 *                  socket paths must stay under 108 bytes)
 * @param kernel    guest kernel
 * @param initramfs guest initramfs
 * @param dataDisk  qcow2 data disk, or null
 * @param incoming  a saved state file to load at start (restore), or null
 * @param startPaused start with vCPUs stopped
 */
public record LaunchSpec(VmProfile profile, Path runDir, Path kernel, Path initramfs, Path dataDisk,
        Path incoming, boolean startPaused) {

    public Optional<Path> dataDiskOpt() {
        return Optional.ofNullable(dataDisk);
    }
}
