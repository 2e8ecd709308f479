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
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/**
 * The few qcow2 facts checkpoints need, read from the image header (no QEMU involved, safe while
 * a VMM has the file open), and writing an empty overlay. Stateless.
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

    private static final int CLUSTER_BITS = 16;
    private static final int CLUSTER = 1 << CLUSTER_BITS;
    private static final int HEADER_LENGTH = 112;
    private static final int EXT_BACKING_FORMAT = 0xE2792ACA;

    /**
     * Creates an empty qcow2 (version 3) overlay {@code target} over {@code backing} without
     * opening the backing (it may be in use by a running guest); the backing's format is taken
     * from its first bytes (qcow2 or raw). Written directly, as {@code qemu-img create -u -f qcow2
     * -F FMT -b BACKING TARGET SIZE} lays it out (64 KiB clusters, 16-bit refcounts: header,
     * refcount table, refcount block, L1 table), because starting qemu-img costs a process start
     * on the restore path. {@code Qcow2Test} checks the result with {@code qemu-img check} and
     * {@code qemu-io}. Not fsynced; fails if {@code target} exists.
     */
    public static void createOverlay(Path backing, Path target, long virtualSize) {
        byte[] name = backing.toAbsolutePath().toString().getBytes(StandardCharsets.UTF_8);
        byte[] format = (isQcow2(backing) ? "qcow2" : "raw").getBytes(StandardCharsets.US_ASCII);
        if (virtualSize <= 0) {
            throw HpcvirtException.invalid("overlay size must be positive, not " + virtualSize);
        }
        long l2Covers = (long) (CLUSTER / 8) * CLUSTER;
        long l1Size = (virtualSize + l2Covers - 1) / l2Covers;
        long l1Clusters = (l1Size * 8 + CLUSTER - 1) / CLUSTER;
        long clusters = 3 + l1Clusters;
        if (clusters > CLUSTER / 2) {
            throw HpcvirtException.invalid("overlay size " + virtualSize + " is too large for one refcount block");
        }
        int extLen = 8 + (format.length + 7) / 8 * 8;
        int nameOffset = HEADER_LENGTH + extLen + 8;
        if (nameOffset + name.length > CLUSTER || name.length > 1023) {
            throw HpcvirtException.invalid("backing file name too long: " + backing);
        }
        ByteBuffer header = ByteBuffer.allocate(nameOffset + name.length); // big-endian, zero-filled
        header.putInt(0, MAGIC).putInt(4, 3).putLong(8, nameOffset).putInt(16, name.length).putInt(20, CLUSTER_BITS)
                .putLong(24, virtualSize).putInt(36, (int) l1Size).putLong(40, 3L * CLUSTER).putLong(48, CLUSTER)
                .putInt(56, 1).putInt(96, 4).putInt(100, HEADER_LENGTH);
        header.putInt(HEADER_LENGTH, EXT_BACKING_FORMAT).putInt(HEADER_LENGTH + 4, format.length);
        header.put(HEADER_LENGTH + 8, format);
        // end-of-extensions marker: 8 zero bytes, already there
        header.put(nameOffset, name);
        ByteBuffer refTable = ByteBuffer.allocate(8).putLong(0, 2L * CLUSTER);
        ByteBuffer refBlock = ByteBuffer.allocate((int) clusters * 2);
        for (int i = 0; i < clusters; i++) {
            refBlock.putShort(i * 2, (short) 1);
        }
        try (FileChannel ch = FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            writeFully(ch, header, 0);
            writeFully(ch, refTable, CLUSTER);
            writeFully(ch, refBlock, 2L * CLUSTER);
            ch.truncate(3L * CLUSTER + l1Size * 8); // the L1 table: zeros
            ch.write(ByteBuffer.allocate(1), 3L * CLUSTER + l1Size * 8 - 1);
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot create qcow2 overlay " + target + ": " + e.getMessage(), e);
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b, long at) throws IOException {
        long pos = at;
        while (b.hasRemaining()) {
            pos += ch.write(b, pos);
        }
    }
}
