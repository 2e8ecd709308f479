package org.hpcvirt.vm.store;

import java.nio.file.Path;
import java.time.Instant;
import org.hpcvirt.api.VmState;
import org.hpcvirt.profile.VmProfile;

/**
 * What the node remembers about one VM.
 *
 * @param profile    the profile it was defined with
 * @param state      current state
 * @param pid        QEMU pid while active, else 0
 * @param startTicks QEMU process start time (pid reuse guard), else 0
 * @param runDir     directory of sockets and logs while active, else null
 * @param created    definition time
 * @param updated    last change
 * @param owner      the user it belongs to (who defined it, or the user a node or an administrator named)
 */
public record VmRecord(VmProfile profile, VmState state, long pid, long startTicks, Path runDir, Instant created, Instant updated,
        String owner) {
    public String name() {
        return profile.name();
    }

    public VmRecord with(VmState s) {
        return new VmRecord(profile, s, pid, startTicks, runDir, created, Instant.now(), owner);
    }

    public VmRecord withProcess(long newPid, long ticks, Path dir) {
        return new VmRecord(profile, state, newPid, ticks, dir, created, Instant.now(), owner);
    }
}
