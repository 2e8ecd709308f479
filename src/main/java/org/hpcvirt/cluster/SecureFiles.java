package org.hpcvirt.cluster;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/** Writes files and directories with the permissions the trust material needs (0600 / 0700 for secrets). */
final class SecureFiles {
    static final Set<PosixFilePermission> PRIVATE = PosixFilePermissions.fromString("rw-------");
    static final Set<PosixFilePermission> PUBLIC = PosixFilePermissions.fromString("rw-r--r--");
    static final Set<PosixFilePermission> PRIVATE_DIR = PosixFilePermissions.fromString("rwx------");

    private SecureFiles() {
    }

    /** Creates {@code dir} (and parents) if needed with mode 0700; INVALID_INPUT naming it if that is not possible. */
    static void directory(Path dir) {
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PRIVATE_DIR));
                Files.setPosixFilePermissions(dir, PRIVATE_DIR);
            }
            if (!Files.isWritable(dir)) {
                throw HpcvirtException.invalid("cannot write to " + dir + ": permission denied");
            }
        } catch (AccessDeniedException e) {
            throw HpcvirtException.invalid("cannot create " + dir + ": permission denied");
        } catch (java.nio.file.FileAlreadyExistsException e) {
            throw HpcvirtException.invalid(dir + " exists and is not a directory");
        } catch (IOException e) {
            throw HpcvirtException.invalid("cannot create " + dir + ": " + reason(e));
        }
    }

    /**
     * Replaces {@code file} by {@code bytes} with mode {@code mode}: written to a sibling created
     * with that mode, then moved over, so that a secret is never readable by others, not even for
     * a moment, and a reader never sees half a file.
     */
    static void write(Path file, byte[] bytes, Set<PosixFilePermission> mode) {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        try {
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(mode));
            Files.setPosixFilePermissions(tmp, mode);
            Files.write(tmp, bytes);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (AccessDeniedException e) {
            throw HpcvirtException.invalid("cannot write " + file + ": permission denied");
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot write " + file + ": " + reason(e), e);
        }
    }

    /** The reason of a file-system failure in words (a {@code FileSystemException}'s message is often just the path). */
    static String reason(IOException e) {
        if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such directory";
        }
        return e.getClass().getSimpleName().replace("Exception", "").replaceAll("([a-z])([A-Z])", "$1 $2").toLowerCase(java.util.Locale.ROOT);
    }
}
