package org.hpcvirt.inject;

import java.time.Duration;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.guest.ExecResult;

/** Guest shell commands shared by injectors. */
final class GuestCommands {
    private GuestCommands() {
    }

    /**
     * Starts {@code command} in its own session in the guest and returns at once: for commands after
     * which the guest may never answer again.
     */
    static void detached(FaultTarget target, String command) {
        ExecResult r = target.exec("setsid sh -c '" + command.replace("'", "'\\''") + "' </dev/null >/dev/null 2>&1 &",
                Duration.ofSeconds(20));
        if (r.exitCode() != 0) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "could not start '" + command + "' in " + target.name()
                    + " (exit " + r.exitCode() + "): " + r.output().strip());
        }
    }
}
