package org.hpcvirt.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Deleting a directory with everything in it, the one way hpcvirt does it: children before
 * parents, symbolic links removed as links (never followed). Stateless; thread-safe.
 */
public final class DirectoryTree {
    private DirectoryTree() {
    }

    /**
     * Deletes {@code dir} and its contents; nothing happens if it does not exist.
     *
     * @throws HpcvirtException OPERATION_FAILED if something cannot be deleted
     */
    public static void delete(Path dir) {
        if (dir == null || !Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot delete " + dir, e);
        }
    }

    /** Like {@link #delete} but for temporary directories: whatever cannot be deleted is left behind silently. */
    public static void deleteQuietly(Path dir) {
        try {
            delete(dir);
        } catch (HpcvirtException e) {
            // a temporary directory; leftovers do no harm
        }
    }
}
