package org.hpcvirt.cli;

import picocli.CommandLine.Command;

/** Placeholder for {@code hpcvirt ft}; replaced by its owner. */
@Command(name = "ft", description = "(not yet available)")
public final class FtCommand implements Runnable {
    @Override
    public void run() {
        throw new org.hpcvirt.api.HpcvirtException(org.hpcvirt.api.ErrorCode.INTERNAL, "ft: not yet available");
    }
}
