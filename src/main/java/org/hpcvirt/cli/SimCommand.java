package org.hpcvirt.cli;

import picocli.CommandLine.Command;

/** Placeholder for {@code hpcvirt sim}; replaced by its owner. */
@Command(name = "sim", description = "(not yet available)")
public final class SimCommand implements Runnable {
    @Override
    public void run() {
        throw new org.hpcvirt.api.HpcvirtException(org.hpcvirt.api.ErrorCode.INTERNAL, "sim: not yet available");
    }
}
