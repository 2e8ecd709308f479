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
 * @param startPaused start with vCPUs stopped (with {@code incoming}: stay paused once it is loaded)
 * @param incomingSha256 with {@code incoming}: its expected SHA-256 (lower-case hex), checked while
 *                  it is loaded; a mismatch fails the launch with REFUSED before the guest ran. Null:
 *                  not checked
 */
public record LaunchSpec(VmProfile profile, Path runDir, Path kernel, Path initramfs, Path dataDisk,
        Path incoming, boolean startPaused, String incomingSha256) {

    /** A launch whose incoming state, if any, is not checked. */
    public LaunchSpec(VmProfile profile, Path runDir, Path kernel, Path initramfs, Path dataDisk, Path incoming,
            boolean startPaused) {
        this(profile, runDir, kernel, initramfs, dataDisk, incoming, startPaused, null);
    }

    public Optional<Path> dataDiskOpt() {
        return Optional.ofNullable(dataDisk);
    }
}
