package org.hpcvirt.guest;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveOutputStream;
import org.apache.commons.compress.archivers.cpio.CpioConstants;

/**
 * Collects the entries of an initramfs and writes them as a gzip-compressed newc cpio archive
 * that is byte-for-byte reproducible: entries in sorted path order, mtime 0, uid/gid 0,
 * sequential inode numbers, gzip header mtime 0 ({@link GZIPOutputStream} writes a fixed header).
 * Paths are relative ({@code bin/busybox}); parents must be added as directories. Not thread-safe.
 */
final class InitramfsWriter {
    private sealed interface Item permits Dir, RegularFile, Symlink, CharDevice {
    }

    private record Dir(int mode) implements Item {
    }

    private record RegularFile(Path source, int mode) implements Item {
    }

    private record Symlink(String target) implements Item {
    }

    private record CharDevice(int major, int minor, int mode) implements Item {
    }

    private final SortedMap<String, Item> items = new TreeMap<>();

    void dir(String path) {
        add(path, new Dir(0755));
    }

    void file(String path, Path source, int mode) {
        add(path, new RegularFile(source, mode));
    }

    void symlink(String path, String target) {
        add(path, new Symlink(target));
    }

    void charDevice(String path, int major, int minor, int mode) {
        add(path, new CharDevice(major, minor, mode));
    }

    int size() {
        return items.size();
    }

    private void add(String path, Item item) {
        if (path.startsWith("/") || path.isEmpty() || path.contains("//") || path.endsWith("/")) {
            throw new IllegalArgumentException("bad initramfs path: " + path);
        }
        if (items.putIfAbsent(path, item) != null) {
            throw new IllegalArgumentException("duplicate initramfs path: " + path);
        }
    }

    /** Writes the archive to {@code target}, calling {@code perEntry} after each entry. */
    void write(Path target, Runnable perEntry) throws IOException {
        for (String p : items.keySet()) {
            int slash = p.lastIndexOf('/');
            if (slash > 0 && !(items.get(p.substring(0, slash)) instanceof Dir)) {
                throw new IllegalStateException("initramfs path without parent directory: " + p);
            }
        }
        try (OutputStream file = new BufferedOutputStream(Files.newOutputStream(target), 1 << 16);
             GZIPOutputStream gz = new GZIPOutputStream(file, 1 << 16);
             CpioArchiveOutputStream cpio = new CpioArchiveOutputStream(gz, CpioConstants.FORMAT_NEW,
                     CpioConstants.BLOCK_SIZE, "UTF-8")) {
            long inode = 1;
            for (var e : items.entrySet()) {
                CpioArchiveEntry entry = new CpioArchiveEntry(CpioConstants.FORMAT_NEW, e.getKey());
                entry.setTime(0);
                entry.setUID(0);
                entry.setGID(0);
                entry.setInode(inode++);
                entry.setNumberOfLinks(1);
                byte[] content = null;
                Path source = null;
                Item item = e.getValue();
                if (item instanceof Dir d) {
                    entry.setMode(CpioConstants.C_ISDIR | d.mode());
                    entry.setNumberOfLinks(2);
                } else if (item instanceof RegularFile f) {
                    entry.setMode(CpioConstants.C_ISREG | f.mode());
                    source = f.source();
                    entry.setSize(Files.size(source));
                } else if (item instanceof Symlink s) {
                    entry.setMode(CpioConstants.C_ISLNK | 0777);
                    content = s.target().getBytes(StandardCharsets.UTF_8);
                    entry.setSize(content.length);
                } else if (item instanceof CharDevice c) {
                    entry.setMode(CpioConstants.C_ISCHR | c.mode());
                    entry.setRemoteDeviceMaj(c.major());
                    entry.setRemoteDeviceMin(c.minor());
                }
                cpio.putArchiveEntry(entry);
                if (content != null) {
                    cpio.write(content);
                } else if (source != null) {
                    Files.copy(source, cpio);
                }
                cpio.closeArchiveEntry();
                perEntry.run();
            }
            cpio.finish();
        }
    }
}
