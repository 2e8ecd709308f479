package org.hpcvirt.backend.qemu;

import java.nio.file.Path;
import java.time.Duration;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.backend.MemoryAccess;
import org.hpcvirt.backend.qemu.gdb.GdbRemote;

/**
 * {@link MemoryAccess} through QEMU's gdbstub on the instance's {@link QemuCommandLine#GDB_SOCKET}:
 * connecting stops the vCPUs, detaching ({@code D}) resumes them. Needs nothing but the socket's
 * path, so the CLI can use it while the daemon holds the instance. Thread-safe (each session has
 * its own connection). Public for the libvirt backend, whose domains run the same gdbstub.
 */
public final class QemuMemoryAccess implements MemoryAccess {
    private final Path gdbSocket;

    QemuMemoryAccess(Path gdbSocket) {
        this.gdbSocket = gdbSocket;
    }

    /** The memory access of an instance whose run directory is {@code runDir}. */
    public static QemuMemoryAccess inRunDir(Path runDir) {
        return new QemuMemoryAccess(runDir.resolve(QemuCommandLine.GDB_SOCKET));
    }

    @Override
    public Session open(Duration timeout) {
        return new GdbSession(GdbRemote.connect(gdbSocket, timeout));
    }

    /**
     * A gdbstub session. Memory is addressed guest-physically: {@code Qqemu.PhyMemMode:1} is sent
     * before the first memory access and {@code Qqemu.PhyMemMode:0} when closing (QEMU keeps the
     * mode across connections).
     */
    static final class GdbSession implements Session {
        private final GdbRemote gdb;
        private boolean physical;
        private boolean closed;

        GdbSession(GdbRemote gdb) {
            this.gdb = gdb;
        }

        private void physicalMode() {
            if (!physical) {
                gdb.physicalMemoryMode(true);
                physical = true;
            }
        }

        @Override
        public byte[] read(long physAddr, int length) {
            physicalMode();
            return gdb.readMemory(physAddr, length);
        }

        @Override
        public void write(long physAddr, byte[] data) {
            physicalMode();
            gdb.writeMemory(physAddr, data);
        }

        private static int number(String name) {
            Integer n = GdbRemote.X86_64_REGISTERS.get(name);
            if (n == null) {
                throw HpcvirtException.invalid("unknown register '" + name + "' (known: "
                        + String.join(", ", new java.util.TreeSet<>(GdbRemote.X86_64_REGISTERS.keySet())) + ")");
            }
            return n;
        }

        @Override
        public long readRegister(String name) {
            return gdb.readRegister(number(name));
        }

        @Override
        public void writeRegister(String name, long value) {
            gdb.writeRegister(number(name), value);
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            RuntimeException failure = null;
            try {
                if (physical) {
                    gdb.physicalMemoryMode(false);
                }
            } catch (RuntimeException e) {
                failure = e;
            }
            try {
                gdb.detach();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            } finally {
                gdb.close();
            }
            if (failure != null) {
                throw failure;
            }
        }
    }
}
