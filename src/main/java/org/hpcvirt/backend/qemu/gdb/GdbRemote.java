package org.hpcvirt.backend.qemu.gdb;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.hpcvirt.api.DaemonThreads;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/**
 * One session with a GDB remote stub (QEMU's gdbstub): request/reply in ack mode, memory and register
 * access, detach. QEMU stops every vCPU when a client connects and keeps them stopped while it is
 * attached; {@link #detach()} ({@code D}) resumes them. Not thread-safe: one caller at a time. The caller
 * closes the session; {@link #close()} detaches first if that was not done, so a failed injection never
 * leaves the guest stopped.
 */
public final class GdbRemote implements AutoCloseable {
    /** x86-64 register numbers in QEMU's {@code g} packet (8 bytes each, little-endian). */
    public static final Map<String, Integer> X86_64_REGISTERS = Map.ofEntries(
            Map.entry("rax", 0), Map.entry("rbx", 1), Map.entry("rcx", 2), Map.entry("rdx", 3),
            Map.entry("rsi", 4), Map.entry("rdi", 5), Map.entry("rbp", 6), Map.entry("rsp", 7),
            Map.entry("r8", 8), Map.entry("r9", 9), Map.entry("r10", 10), Map.entry("r11", 11),
            Map.entry("r12", 12), Map.entry("r13", 13), Map.entry("r14", 14), Map.entry("r15", 15),
            Map.entry("rip", 16));

    private static final int MAX_MEMORY_CHUNK = 2048;
    private final InputStream in;
    private final OutputStream out;
    private final Closeable transport;
    private final Duration timeout;
    private final ExecutorService io;
    private boolean detached;

    /**
     * A session over the given streams (used by tests over in-memory pipes).
     *
     * @param transport closed by {@link #close()}
     * @param timeout   longest wait for any reply
     */
    public GdbRemote(InputStream in, OutputStream out, Closeable transport, Duration timeout) {
        this.in = in;
        this.out = out;
        this.transport = transport;
        this.timeout = timeout;
        this.io = Executors.newSingleThreadExecutor(DaemonThreads.named("gdb-remote"));
    }

    /**
     * Connects to a gdbstub on a Unix socket and checks that it answers ({@code qSupported}, then {@code ?}).
     *
     * @throws HpcvirtException OPERATION_FAILED if the socket cannot be connected or the stub does not answer
     */
    public static GdbRemote connect(Path socket, Duration timeout) {
        SocketChannel ch;
        try {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot connect to gdbstub " + socket, e);
        }
        GdbRemote r = new GdbRemote(Channels.newInputStream(ch), Channels.newOutputStream(ch), ch, timeout);
        try {
            // no "multiprocess+": QEMU would then want "D;pid" and answer a plain "D" with E22
            r.command("qSupported:swbreak+;hwbreak+");
            r.stopReason();
            return r;
        } catch (RuntimeException e) {
            r.close();
            throw e;
        }
    }

    /**
     * Sends one packet and returns the reply's payload. An empty reply means the stub does not know the
     * command; an {@code Enn} reply is returned as is (callers that expect data check it).
     *
     * @throws HpcvirtException OPERATION_FAILED on I/O errors or a rejected packet, TIMEOUT without reply
     */
    public String command(String payload) {
        Future<String> f = io.submit(() -> exchange(payload));
        try {
            return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new HpcvirtException(ErrorCode.TIMEOUT, "gdbstub did not answer '" + brief(payload) + "' within "
                    + timeout.toMillis() + " ms");
        } catch (java.util.concurrent.ExecutionException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "gdbstub '" + brief(payload) + "'", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "interrupted talking to gdbstub", e);
        }
    }

    private String exchange(String payload) throws IOException {
        byte[] packet = GdbPacket.encode(payload);
        for (int attempt = 0; attempt < 3; attempt++) {
            out.write(packet);
            out.flush();
            int ack = in.read();
            while (ack != '+' && ack != '-') {
                if (ack < 0) {
                    throw new IOException("gdbstub closed the connection");
                }
                ack = in.read(); // stray bytes before the ack are ignored
            }
            if (ack == '+') {
                String reply = GdbPacket.read(in);
                out.write('+');
                out.flush();
                return reply;
            }
        }
        throw new IOException("gdbstub rejected the packet 3 times");
    }

    private static String brief(String payload) {
        return payload.length() > 24 ? payload.substring(0, 24) + "…" : payload;
    }

    private String expectOk(String payload) {
        String r = command(payload);
        if (!r.equals("OK")) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "gdbstub refused '" + brief(payload) + "': "
                    + (r.isEmpty() ? "not supported" : r));
        }
        return r;
    }

    private String expectData(String payload) {
        String r = command(payload);
        if (r.isEmpty() || (r.length() == 3 && r.charAt(0) == 'E')) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "gdbstub refused '" + brief(payload) + "': "
                    + (r.isEmpty() ? "not supported" : r));
        }
        return r;
    }

    /** {@code ?}: why the target stopped (e.g. {@code T05thread:01;}). */
    public String stopReason() {
        return command("?");
    }

    /** {@code Qqemu.PhyMemMode:1|0}: make {@code m}/{@code M} address guest-physical (QEMU only) or virtual memory. */
    public void physicalMemoryMode(boolean on) {
        expectOk("Qqemu.PhyMemMode:" + (on ? 1 : 0));
    }

    /** {@code m addr,len}: reads memory (in chunks the stub accepts). */
    public byte[] readMemory(long address, int length) {
        byte[] result = new byte[length];
        for (int done = 0; done < length; ) {
            int n = Math.min(MAX_MEMORY_CHUNK, length - done);
            String hex = expectData("m" + Long.toHexString(address + done) + "," + Integer.toHexString(n));
            byte[] chunk = HexFormat.of().parseHex(hex);
            if (chunk.length != n) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "gdbstub returned " + chunk.length + " of " + n + " bytes");
            }
            System.arraycopy(chunk, 0, result, done, n);
            done += n;
        }
        return result;
    }

    /** {@code M addr,len:hex}: writes memory. */
    public void writeMemory(long address, byte[] data) {
        for (int done = 0; done < data.length; ) {
            int n = Math.min(MAX_MEMORY_CHUNK, data.length - done);
            expectOk("M" + Long.toHexString(address + done) + "," + Integer.toHexString(n) + ":"
                    + HexFormat.of().formatHex(data, done, done + n));
            done += n;
        }
    }

    private boolean targetDescriptionRead;

    /** {@code g}: all registers of the current vCPU, in the target's order and byte order. */
    public byte[] readRegisters() {
        return HexFormat.of().parseHex(expectData("g"));
    }

    /** {@code G}: writes all registers of the current vCPU. */
    public void writeRegisters(byte[] registers) {
        expectOk("G" + HexFormat.of().formatHex(registers));
    }

    /** QEMU answers {@code p} and {@code P} only to a client that has read the target description (as gdb does). */
    private void readTargetDescription() {
        if (!targetDescriptionRead) {
            String xml = expectData("qXfer:features:read:target.xml:0,fff");
            if (xml.charAt(0) != 'l' && xml.charAt(0) != 'm') {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "gdbstub sent no target description: '" + brief(xml) + "'");
            }
            targetDescriptionRead = true;
        }
    }

    /** {@code p}: one 64-bit register of the current vCPU, by its number in {@link #X86_64_REGISTERS}. */
    public long readRegister(int number) {
        readTargetDescription();
        String hex = expectData("p" + Integer.toHexString(number));
        if (hex.length() < 16) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "register " + number + " answer too short: '" + hex + "'");
        }
        byte[] raw = HexFormat.of().parseHex(hex.substring(0, 16));
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = (v << 8) | (raw[i] & 0xffL);
        }
        return v;
    }

    /**
     * {@code P}: writes one 64-bit register of the current vCPU. (Writing the whole set back with
     * {@code G} instead would also reload segment registers and bases, which is not a single-bit fault.)
     */
    public void writeRegister(int number, long value) {
        readTargetDescription();
        byte[] raw = new byte[8];
        for (int i = 0; i < 8; i++) {
            raw[i] = (byte) (value >>> (8 * i));
        }
        expectOk("P" + Integer.toHexString(number) + "=" + HexFormat.of().formatHex(raw));
    }

    /**
     * Flips bit {@code bit} (0..63) of 64-bit register {@code number}; returns the old and new value.
     * Reads and writes that one register ({@code p}/{@code P}), not the whole set.
     */
    public long[] flipRegisterBit(int number, int bit) {
        long old = readRegister(number);
        long now = old ^ (1L << bit);
        writeRegister(number, now);
        return new long[] {old, now};
    }

    /** Flips bit {@code bit} (0..7) of the byte at {@code address}; returns the old and new byte. */
    public int[] flipMemoryBit(long address, int bit) {
        byte old = readMemory(address, 1)[0];
        byte now = (byte) (old ^ (1 << bit));
        writeMemory(address, new byte[] {now});
        return new int[] {old & 0xff, now & 0xff};
    }

    /** {@code D}: detaches; QEMU resumes the vCPUs. Idempotent. */
    public void detach() {
        if (!detached) {
            detached = true;
            expectOk("D");
        }
    }

    /** Detaches if needed (best effort) and closes the transport. */
    @Override
    public void close() {
        try {
            if (!detached) {
                detach();
            }
        } catch (RuntimeException e) {
            // closing anyway; the caller learns about a stuck guest from its own checks
        } finally {
            io.shutdownNow();
            try {
                transport.close();
            } catch (IOException e) {
                // nothing more to do
            }
        }
    }
}
