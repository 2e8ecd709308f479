package org.hpcvirt.cli;

import picocli.CommandLine.Command;

/** Placeholder for {@code hpcvirt image}; replaced by its owner. */
@Command(name = "image", description = "(not yet available)")
public final class ImageCommand implements Runnable {
    @Override
    public void run() {
        throw new org.hpcvirt.api.HpcvirtException(org.hpcvirt.api.ErrorCode.INTERNAL, "image: not yet available");
    }
}
