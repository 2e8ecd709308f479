package org.hpcvirt.backend.libvirt;

import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.backend.Pausable;
import org.libvirt.LibvirtException;

/** {@link Pausable} for one domain: virDomainSuspend and virDomainResume. Thread-safe like libvirt's connection. */
final class LibvirtPausable implements Pausable {
    private final LibvirtInstance inst;

    LibvirtPausable(LibvirtInstance inst) {
        this.inst = inst;
    }

    @Override
    public void pause() {
        try {
            inst.domain().suspend();
        } catch (LibvirtException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "libvirt cannot suspend domain " + inst.domainName() + ": "
                    + LibvirtConnection.message(e));
        }
    }

    /** Like QEMU's {@code cont}, resuming a running domain succeeds (libvirt itself refuses it). */
    @Override
    public void resume() {
        try {
            inst.domain().resume();
        } catch (LibvirtException e) {
            if (inst.runState() == org.hpcvirt.backend.RunState.RUNNING) {
                return;
            }
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "libvirt cannot resume domain " + inst.domainName() + ": "
                    + LibvirtConnection.message(e));
        }
    }
}
