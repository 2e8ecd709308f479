package org.hpcvirt.inject.campaign;

import java.time.Duration;
import java.util.Optional;
import org.hpcvirt.backend.Instance;
import org.hpcvirt.backend.MemoryAccess;
import org.hpcvirt.guest.ExecResult;
import org.hpcvirt.guest.GuestChannel;
import org.hpcvirt.inject.FaultTarget;

/** A campaign's victim: an instance launched in-process and its guest channel. */
record VictimTarget(String name, String backend, Instance instance, GuestChannel channel, long memoryBytes)
        implements FaultTarget {
    @Override
    public ExecResult exec(String shellCommand, Duration timeout) {
        return channel.exec(shellCommand, timeout);
    }

    @Override
    public long vmmPid() {
        return instance.pid();
    }

    @Override
    public Optional<MemoryAccess> memoryAccess() {
        return instance.capability(MemoryAccess.class);
    }
}
