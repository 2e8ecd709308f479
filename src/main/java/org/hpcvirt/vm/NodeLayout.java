package org.hpcvirt.vm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/**
 * Where a node keeps its state under {@code $HPCVIRT_HOME}: the database, the daemon's socket and
 * log, images, per-VM disks and per-VM run directories (sockets, console, pid file). Immutable.
 *
 * @param home the root directory
 */
public record NodeLayout(Path home) {
    /** Unix socket paths are limited to 107 bytes; the longest we create is run/NAME/agent.sock. */
    private static final int MAX_SOCKET_PATH = 107;

    public NodeLayout {
        home = home.toAbsolutePath().normalize();
    }

    /**
     * The layout of {@code $HPCVIRT_HOME}; without it, system property {@code hpcvirt.home}, then
     * {@code $XDG_DATA_HOME/hpcvirt}, then {@code ~/.local/share/hpcvirt}.
     */
    public static NodeLayout fromEnvironment() {
        return new NodeLayout(org.hpcvirt.api.HpcvirtHome.resolve());
    }

    /**
     * A new node home in a fresh short directory under /tmp (short, because of the Unix socket
     * path limit) whose {@code images} is a symbolic link to {@code sharedImages}: what tests and
     * benchmarks use to run a node without building an image again. The caller deletes it
     * ({@link org.hpcvirt.api.DirectoryTree#delete} leaves the shared images alone).
     */
    public static NodeLayout temporary(String prefix, Path sharedImages) {
        try {
            NodeLayout layout = new NodeLayout(Files.createTempDirectory(Path.of("/tmp"), prefix)).ensure();
            Files.delete(layout.images());
            Files.createSymbolicLink(layout.images(), sharedImages.toAbsolutePath());
            return layout;
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot create a temporary node home", e);
        }
    }

    /** Creates the directories. */
    public NodeLayout ensure() {
        try {
            Files.createDirectories(images());
            Files.createDirectories(home.resolve("vms"));
            Files.createDirectories(home.resolve("run"));
            return this;
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot create " + home, e);
        }
    }

    public Path database() {
        return home.resolve("hpcvirt.db");
    }

    public Path daemonSocket() {
        return home.resolve("hpcvirtd.sock");
    }

    public Path daemonLog() {
        return home.resolve("hpcvirtd.log");
    }

    /** Every operation the daemon ran, with its caller: one JSON object per line, readable by root only. */
    public Path auditLog() {
        return home.resolve("audit.log");
    }

    public Path daemonPidFile() {
        return home.resolve("hpcvirtd.pid");
    }

    public Path images() {
        return home.resolve("images");
    }

    /** Persistent files of one VM (its data disk). */
    public Path vmDir(String name) {
        return home.resolve("vms").resolve(name);
    }

    /** Sockets, console log and pid file of one VM's current QEMU. */
    public Path runDir(String name) {
        return home.resolve("run").resolve(name);
    }

    /**
     * The checkpoint store: system property {@code hpcvirt.store}, else {@code $HPCVIRT_STORE},
     * else {@code HOME/checkpoints}. Put it on shared storage (mounted at the same path on every
     * node) to restore or migrate on another node.
     */
    public Path checkpointStore() {
        return org.hpcvirt.api.NodeConfig.current().checkpointStore(home);
    }

    /** INVALID_INPUT if a VM of this name would get socket paths longer than Unix allows. */
    public void checkSocketPaths(String vmName) {
        int len = runDir(vmName).resolve("agent.sock").toString().length();
        if (len > MAX_SOCKET_PATH || daemonSocket().toString().length() > MAX_SOCKET_PATH) {
            throw new HpcvirtException(ErrorCode.INVALID_INPUT, "HPCVIRT_HOME " + home
                    + " is too long for Unix socket paths (" + len + " > " + MAX_SOCKET_PATH + " bytes); use a shorter one");
        }
    }
}
