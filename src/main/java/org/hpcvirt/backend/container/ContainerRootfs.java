package org.hpcvirt.backend.container;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream;
import org.hpcvirt.api.DirectoryTree;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/**
 * The golden image's userland as a container root file system: the image's initramfs (busybox, the
 * guest agent, the workloads) unpacked once into a directory beside it, named after the
 * initramfs's SHA-256 so that a rebuilt image gets a fresh one. Containers mount it read-only and
 * share it. Unpacking goes to a temporary name and is renamed into place, so a crash never leaves a
 * half-unpacked root that looks complete; concurrent callers may both unpack, and one rename wins.
 * Kernel modules are left out (a container runs on the host kernel); device nodes are left out (the
 * runtime makes {@code /dev}).
 */
public final class ContainerRootfs {
    /** Mount points the OCI configuration needs in a read-only root. */
    static final List<String> MOUNT_POINTS = List.of("proc", "sys", "dev", "tmp", "run/hpcvirt", "data");

    private ContainerRootfs() {
    }

    /**
     * The root file system of {@code initramfs}, unpacked on first use.
     *
     * @throws HpcvirtException NOT_FOUND if the initramfs does not exist, OPERATION_FAILED if it cannot be unpacked
     */
    public static Path of(Path initramfs) {
        if (!Files.isRegularFile(initramfs)) {
            throw new HpcvirtException(ErrorCode.NOT_FOUND, "initramfs " + initramfs + " not found");
        }
        try {
            String sha = sha256(initramfs);
            Path target = initramfs.resolveSibling("container-rootfs-" + sha.substring(0, 16));
            if (Files.isDirectory(target)) {
                return target;
            }
            Path tmp = Files.createTempDirectory(initramfs.getParent(), ".rootfs-");
            try {
                unpack(initramfs, tmp);
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException e) {
                // another caller won the race; its tree is the same
            } catch (AtomicMoveNotSupportedException e) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot rename " + tmp + " into place", e);
            } finally {
                DirectoryTree.deleteQuietly(tmp);
            }
            return target;
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot unpack " + initramfs + " into a container root: "
                    + e.getMessage(), e);
        }
    }

    private static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return java.util.HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Unpacks a gzip-compressed newc cpio archive's directories, regular files and symlinks under {@code dir}. */
    static void unpack(Path initramfs, Path dir) throws IOException {
        try (InputStream in = new GZIPInputStream(new BufferedInputStream(Files.newInputStream(initramfs)));
             CpioArchiveInputStream cpio = new CpioArchiveInputStream(in)) {
            CpioArchiveEntry e;
            while ((e = cpio.getNextCPIOEntry()) != null) {
                String name = e.getName();
                if (name.startsWith("./")) {
                    name = name.substring(2);
                }
                if (name.isEmpty() || name.equals(".") || name.startsWith("lib/modules")) {
                    continue;
                }
                Path p = dir.resolve(name).normalize();
                if (!p.startsWith(dir)) {
                    throw new IOException("entry '" + e.getName() + "' leaves the root");
                }
                Files.createDirectories(p.getParent());
                if (e.isDirectory()) {
                    Files.createDirectories(p);
                    Files.setPosixFilePermissions(p, permissions(e.getMode()));
                } else if (e.isSymbolicLink()) {
                    String link = new String(cpio.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                    Files.createSymbolicLink(p, Path.of(link));
                } else if (e.isRegularFile()) {
                    Files.copy(cpio, p, StandardCopyOption.REPLACE_EXISTING);
                    Files.setPosixFilePermissions(p, permissions(e.getMode()));
                }
            }
        }
        for (String m : MOUNT_POINTS) {
            Files.createDirectories(dir.resolve(m));
        }
    }

    private static Set<PosixFilePermission> permissions(long mode) {
        Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] bits = {PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
                PosixFilePermission.OTHERS_READ, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE,
                PosixFilePermission.GROUP_READ, PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
                PosixFilePermission.OWNER_READ};
        for (int i = 0; i < bits.length; i++) {
            if ((mode & (1L << i)) != 0) {
                s.add(bits[i]);
            }
        }
        return s;
    }
}
