package org.hpcvirt.backend.libvirt;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;

/**
 * The few libvirt C functions that libvirt's Java binding 0.5.2 lacks and checkpoints need:
 * restoring a saved state with a replacement domain XML ({@code virDomainRestoreFlags}), reading
 * the XML a save image embeds ({@code virDomainSaveImageGetXMLDesc}), and block pull with a base
 * ({@code virDomainBlockRebase}, {@code virDomainGetBlockJobInfo}, {@code virDomainBlockJobAbort}).
 * They are called through JNA on the same {@code virConnectPtr} as the binding's connection:
 * {@link Conn} is the binding's {@link Connect} whose pointer (the binding keeps it in the protected
 * field {@code vcp}, with no public accessor) this package can read, so no reflection is needed
 * and no second connection opened. Domains are looked up by UUID on that pointer and freed after
 * each call. Stateless and thread-safe (libvirt connections are); failures are thrown as
 * OPERATION_FAILED with libvirt's own message.
 */
final class LibvirtNative {
    /** virDomainSaveRestoreFlags: start the restored domain running. */
    static final int SAVE_RUNNING = 2;
    /** virDomainSaveRestoreFlags: leave the restored domain paused. */
    static final int SAVE_PAUSED = 4;

    private LibvirtNative() {
    }

    /** The functions, as libvirt.so.0 exports them. */
    interface Api extends Library {
        int virDomainRestoreFlags(Pointer conn, String from, String dxml, int flags);

        Pointer virDomainSaveImageGetXMLDesc(Pointer conn, String file, int flags);

        Pointer virDomainLookupByUUIDString(Pointer conn, String uuid);

        int virDomainFree(Pointer domain);

        int virDomainBlockRebase(Pointer domain, String disk, String base, NativeLong bandwidth, int flags);

        int virDomainGetBlockJobInfo(Pointer domain, String disk, BlockJobInfo info, int flags);

        int virDomainBlockJobAbort(Pointer domain, String disk, int flags);

        String virGetLastErrorMessage();
    }

    /** {@code virDomainBlockJobInfo}. */
    @Structure.FieldOrder({"type", "bandwidth", "cur", "end"})
    public static final class BlockJobInfo extends Structure {
        public int type;
        public NativeLong bandwidth;
        public long cur;
        public long end;
    }

    private static final class Holder {
        static final Api API = Native.load("virt", Api.class);
    }

    private static Api api() {
        try {
            return Holder.API;
        } catch (LinkageError e) {
            throw new HpcvirtException(ErrorCode.BACKEND_UNAVAILABLE, "libvirt client library not loadable (" + e.getMessage()
                    + "); install libvirt0");
        }
    }

    /** The binding's connection with its {@code virConnectPtr} readable here. Owned and closed like any {@link Connect}. */
    static final class Conn extends Connect {
        Conn(String uri) throws LibvirtException {
            super(uri, false);
        }

        Pointer pointer() {
            return vcp.getPointer();
        }
    }

    private static Pointer pointer(Connect c) {
        if (c instanceof Conn n) {
            return n.pointer();
        }
        throw new IllegalStateException("libvirt connection not opened by LibvirtConnection");
    }

    private static HpcvirtException failed(String what) {
        String m = api().virGetLastErrorMessage();
        return new HpcvirtException(ErrorCode.OPERATION_FAILED, what + ": " + (m == null ? "unknown libvirt error" : m.strip()));
    }

    /** virDomainRestoreFlags of {@code file} with the domain XML {@code dxml}, paused or running. */
    static void restore(Connect c, String file, String dxml, boolean paused) {
        if (api().virDomainRestoreFlags(pointer(c), file, dxml, paused ? SAVE_PAUSED : SAVE_RUNNING) != 0) {
            throw failed("libvirt cannot restore " + file);
        }
    }

    /** The domain XML a save image (virDomainSave or an external memory snapshot) holds. */
    static String saveImageXml(Connect c, String file) {
        Pointer p = api().virDomainSaveImageGetXMLDesc(pointer(c), file, 0);
        if (p == null) {
            throw failed("libvirt cannot read the domain XML of " + file);
        }
        try {
            return p.getString(0, "UTF-8");
        } finally {
            Native.free(Pointer.nativeValue(p));
        }
    }

    /** What a call does with a looked-up domain pointer. */
    interface DomainCall<T> {
        T apply(Api api, Pointer domain);
    }

    /** Runs {@code call} on the domain {@code uuid}, freeing the looked-up pointer after. */
    static <T> T withDomain(Connect c, String uuid, DomainCall<T> call) {
        Pointer d = api().virDomainLookupByUUIDString(pointer(c), uuid);
        if (d == null) {
            throw failed("libvirt has no domain " + uuid);
        }
        try {
            return call.apply(api(), d);
        } finally {
            api().virDomainFree(d);
        }
    }

    /** virDomainBlockRebase without flags: a block pull of the layers above {@code base} into {@code disk}'s top. */
    static void blockPull(Connect c, String uuid, String disk, String base) {
        withDomain(c, uuid, (a, d) -> {
            if (a.virDomainBlockRebase(d, disk, base, new NativeLong(0), 0) != 0) {
                throw failed("libvirt cannot pull disk " + disk + " onto " + base);
            }
            return null;
        });
    }

    /** virDomainGetBlockJobInfo: the job's {cur, end}, or null if no block job runs on {@code disk}. */
    static long[] blockJob(Connect c, String uuid, String disk) {
        return withDomain(c, uuid, (a, d) -> {
            BlockJobInfo info = new BlockJobInfo();
            int r = a.virDomainGetBlockJobInfo(d, disk, info, 0);
            if (r < 0) {
                throw failed("libvirt cannot query the block job of disk " + disk);
            }
            return r == 0 ? null : new long[] {info.cur, info.end};
        });
    }

    /** virDomainBlockJobAbort; never throws (used when giving up). */
    static void abortBlockJob(Connect c, String uuid, String disk) {
        try {
            withDomain(c, uuid, (a, d) -> a.virDomainBlockJobAbort(d, disk, 0));
        } catch (HpcvirtException e) {
            // the job or domain is gone already
        }
    }
}
