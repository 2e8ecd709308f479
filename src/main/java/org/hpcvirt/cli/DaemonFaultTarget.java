package org.hpcvirt.cli;

import java.time.Duration;
import java.util.Optional;
import org.hpcvirt.backend.Backends;
import org.hpcvirt.backend.InstanceRecord;
import org.hpcvirt.backend.MemoryAccess;
import org.hpcvirt.daemon.DaemonClient;
import org.hpcvirt.guest.ExecResult;
import org.hpcvirt.inject.FaultTarget;
import org.hpcvirt.vm.NodeLayout;
import org.hpcvirt.vm.VmStatus;

/**
 * A VM managed by the node daemon as a fault target: exec through the daemon, pid from its status,
 * memory access through its backend's {@link MemoryAccess.Provider}, from its run directory (the
 * daemon holds the instance itself).
 */
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
    public Optional<MemoryAccess> memoryAccess() {
        return Backends.defaults().memoryAccessOf(new InstanceRecord(status.backend(), status.pid(), 0, layout.runDir(status.name())));
    }

    @Override
    public long memoryBytes() {
        return status.memoryBytes();
    }
}
