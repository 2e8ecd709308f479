package org.hpcvirt.cli;

import java.nio.file.Path;
import java.time.Duration;
import org.hpcvirt.backend.qemu.QemuCommandLine;
import org.hpcvirt.daemon.DaemonClient;
import org.hpcvirt.guest.ExecResult;
import org.hpcvirt.inject.FaultTarget;
import org.hpcvirt.vm.NodeLayout;
import org.hpcvirt.vm.VmStatus;

/** A VM managed by the node daemon as a fault target: exec through the daemon, pid from its status, gdbstub in its run directory. */
record DaemonFaultTarget(DaemonClient client, NodeLayout layout, VmStatus status) implements FaultTarget {
    @Override
    public String name() {
        return status.name();
    }

    @Override
    public String backend() {
        return status.backend();
    }

    @Override
    public ExecResult exec(String shellCommand, Duration timeout) {
        return client.exec(status.name(), shellCommand, timeout);
    }

    @Override
    public long vmmPid() {
        return client.status(status.name()).pid();
    }

    @Override
    public Path gdbSocket() {
        return layout.runDir(status.name()).resolve(QemuCommandLine.GDB_SOCKET);
    }

    @Override
    public long memoryBytes() {
        return status.memoryBytes();
    }
}
