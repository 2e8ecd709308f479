package org.hpcvirt.checkpoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/**
 * The few qcow2 facts checkpoints need, read from the image header (no QEMU involved, safe while
 * a VMM has the file open), and overlay creation through {@code qemu-img}. Stateless.
 */
public final class Qcow2 {
    private static final int MAGIC = 0x514649fb;

    private Qcow2() {
    }

    /** The backing file name recorded in {@code image}'s header, or null if it has none. */
    public static Path backingOf(Path image) {
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            ByteBuffer h = ByteBuffer.allocate(32);
            ch.read(h, 0);
            h.flip();
            if (h.remaining() < 32 || h.getInt(0) != MAGIC) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, image + " is not a qcow2 image");
            }
            long off = h.getLong(8);
            int len = h.getInt(16);
            if (off == 0 || len == 0) {
                return null;
            }
            ByteBuffer name = ByteBuffer.allocate(len);
            ch.read(name, off);
            return Path.of(new String(name.array(), 0, name.position(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot read qcow2 header of " + image, e);
        }
    }

    /** The virtual size in the header. */
    public static long virtualSize(Path image) {
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            ByteBuffer h = ByteBuffer.allocate(32);
            ch.read(h, 0);
            return h.getLong(24);
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot read qcow2 header of " + image, e);
        }
    }

    /**
     * The chain below {@code top} as recorded in headers, bottom first, ending with {@code top};
     * the first element is the non-qcow2 base (raw image) if there is one.
     */
    public static List<Path> chain(Path top) {
        List<Path> out = new ArrayList<>();
        for (Path p = top; p != null; ) {
            out.add(0, p);
            if (out.size() > 1000) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "qcow2 chain of " + top + " loops");
            }
            p = isQcow2(p) ? backingOf(p) : null;
        }
        return out;
    }

    /** True if {@code file} starts with the qcow2 magic. */
    public static boolean isQcow2(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer h = ByteBuffer.allocate(4);
            ch.read(h, 0);
            return h.position() == 4 && h.getInt(0) == MAGIC;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Creates an empty qcow2 overlay {@code target} over the qcow2 {@code backing} without opening
     * the backing (it may be in use by a running guest).
     */
    public static void createOverlay(Path backing, Path target, long virtualSize) {
        List<String> cmd = List.of("qemu-img", "create", "-q", "-u", "-f", "qcow2", "-F", "qcow2", "-b",
                backing.toAbsolutePath().toString(), target.toAbsolutePath().toString(), Long.toString(virtualSize));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "qemu-img create " + target + " failed: " + out.strip());
            }
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot run qemu-img", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "interrupted");
        }
        if (!Files.exists(target)) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "qemu-img did not create " + target);
        }
    }
}
