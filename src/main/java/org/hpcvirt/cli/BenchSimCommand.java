package org.hpcvirt.cli;

import picocli.CommandLine.Command;

/** Placeholder for {@code hpcvirt bench sim}; replaced by its owner. */
@Command(name = "sim", description = "(not yet available)")
public final class BenchSimCommand implements Runnable {
    @Override
    public void run() {
        throw new org.hpcvirt.api.HpcvirtException(org.hpcvirt.api.ErrorCode.INTERNAL, "bench sim: not yet available");
    }
}
