package org.hpcvirt.inject;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.backend.qemu.gdb.GdbRemote;

/**
 * Soft errors through QEMU's gdbstub, around a run of the known-answer checksum workload:
 * <ul>
 *   <li>{@link Fault#BITFLIP_WORKLOAD}: {@code bits} bit flips in the first page of the workload's buffer
 *       (at {@code offset}, or random), before it computes — a read flip changes the result (SDC);</li>
 *   <li>{@link Fault#BITFLIP_MEMORY}: {@code bits} flips at random guest-physical addresses (above 1 MiB),
 *       or at {@code address};</li>
 *   <li>{@link Fault#BITFLIP_REGISTER}: bit {@code bit} (default random) of {@code register} (default
 *       {@code rip}) while the workload computes.</li>
 * </ul>
 * Attaching stops the vCPUs; detaching resumes them. The workload's outcome is returned in
 * {@link Injection#workload()} and {@link Injection#processExit()}; the caller compares it with a golden run.
 */
public final class SoftErrorInjector implements Injector {
    private static final Duration GDB_TIMEOUT = Duration.ofSeconds(10);

    @Override
    public Injection inject(FaultTarget target, FaultOptions options, InjectionContext context) {
        Fault fault = options.fault();
        long phys = ChecksumWorkload.start(target, context.workloadRounds());
        List<String> done = new ArrayList<>();
        Instant at;
        if (fault == Fault.BITFLIP_REGISTER) {
            String reg = options.text("register", "rip");
            Integer number = GdbRemote.X86_64_REGISTERS.get(reg);
            if (number == null) {
                throw HpcvirtException.invalid("fault bitflip-register option 'register': unknown register '" + reg
                        + "' (known: " + String.join(", ", new java.util.TreeSet<>(GdbRemote.X86_64_REGISTERS.keySet())) + ")");
            }
            int bit = (int) options.integer("bit", context.random().nextInt(64), 0, 63);
            ChecksumWorkload.go(target);
            at = Instant.now();
            try (GdbRemote gdb = GdbRemote.connect(target.gdbSocket(), GDB_TIMEOUT)) {
                long[] v = gdb.flipRegisterBit(number, bit);
                done.add(String.format("%s bit %d: %#x → %#x", reg, bit, v[0], v[1]));
                gdb.detach();
            }
        } else {
            int bits = (int) options.integer("bits", 1, 1, 4096);
            List<long[]> flips = new ArrayList<>();
            for (int i = 0; i < bits; i++) {
                long address;
                if (fault == Fault.BITFLIP_WORKLOAD) {
                    address = phys + options.integer("offset", context.random().nextInt(4096), 0, 4095);
                } else if (options.has("address")) {
                    address = options.integer("address", 0, 0, target.memoryBytes() - 1);
                } else {
                    long low = 1L << 20;
                    address = low + (long) (context.random().nextDouble() * (target.memoryBytes() - low));
                }
                flips.add(new long[] {address, context.random().nextInt(8)});
            }
            at = Instant.now();
            try (GdbRemote gdb = GdbRemote.connect(target.gdbSocket(), GDB_TIMEOUT)) {
                gdb.physicalMemoryMode(true);
                for (long[] f : flips) {
                    int[] v = gdb.flipMemoryBit(f[0], (int) f[1]);
                    done.add(String.format("phys %#x bit %d: %02x → %02x", f[0], f[1], v[0], v[1]));
                }
                gdb.physicalMemoryMode(false);
                gdb.detach();
            }
            ChecksumWorkload.go(target);
        }
        ChecksumWorkload.Outcome o = ChecksumWorkload.await(target, context.workloadTimeout());
        String detail = String.join("; ", done) + (fault == Fault.BITFLIP_WORKLOAD ? String.format(" (buffer at %#x)", phys) : "");
        if (o == null) {
            return new Injection(fault, at, detail + "; guest stopped answering", -1, null, null);
        }
        return new Injection(fault, at, detail, o.exitStatus(), o.exitStatus() >= 0 ? Instant.now() : null,
                o.result());
    }
}
