package org.hpcvirt.inject;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.backend.MemoryAccess;

/**
 * Soft errors through the backend's {@link MemoryAccess} (QEMU: its gdbstub), around a run of the known-answer checksum workload:
 * <ul>
 *   <li>{@link Fault#BITFLIP_WORKLOAD}: {@code bits} bit flips in the first page of the workload's buffer
 *       (at {@code offset}, or random), before it computes — a read flip changes the result (SDC);</li>
 *   <li>{@link Fault#BITFLIP_MEMORY}: {@code bits} flips at random guest-physical addresses (above 1 MiB),
 *       or at {@code address};</li>
 *   <li>{@link Fault#BITFLIP_REGISTER}: bit {@code bit} (default random) of {@code register} (default
 *       {@code rip}) while the workload computes.</li>
 * </ul>
 * Opening the memory-access session stops the vCPUs; closing it resumes them. The workload's outcome is returned in
 * {@link Injection#workload()} and {@link Injection#processExit()}; the caller compares it with a golden run.
 */
public final class SoftErrorInjector implements Injector {
    private static final Duration MEMORY_ACCESS_TIMEOUT = Duration.ofSeconds(10);

    @Override
    public Injection inject(FaultTarget target, FaultOptions options, InjectionContext context) {
        Fault fault = options.fault();
        MemoryAccess memory = target.memoryAccess().orElseThrow(() -> new HpcvirtException(ErrorCode.OPERATION_FAILED,
                "cannot inject " + fault.id() + " into VM '" + target.name() + "': backend '" + target.backend()
                        + "' gives no access to guest memory"));
        long phys = ChecksumWorkload.start(target, context.workloadRounds());
        List<String> done = new ArrayList<>();
        Instant at;
        if (fault == Fault.BITFLIP_REGISTER) {
            String reg = options.text("register", "rip");
            if (!MemoryAccess.X86_64_REGISTERS.contains(reg)) {
                throw HpcvirtException.invalid("fault bitflip-register option 'register': unknown register '" + reg
                        + "' (known: " + String.join(", ", new java.util.TreeSet<>(MemoryAccess.X86_64_REGISTERS)) + ")");
            }
            int bit = (int) options.integer("bit", context.random().nextInt(64), 0, 63);
            ChecksumWorkload.go(target);
            at = Instant.now();
            try (MemoryAccess.Session s = memory.open(MEMORY_ACCESS_TIMEOUT)) {
                long old = s.readRegister(reg);
                long now = old ^ (1L << bit);
                s.writeRegister(reg, now);
                done.add(String.format("%s bit %d: %#x → %#x", reg, bit, old, now));
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
            try (MemoryAccess.Session s = memory.open(MEMORY_ACCESS_TIMEOUT)) {
                for (long[] f : flips) {
                    int old = s.read(f[0], 1)[0] & 0xff;
                    int now = old ^ (1 << f[1]);
                    s.write(f[0], new byte[] {(byte) now});
                    done.add(String.format("phys %#x bit %d: %02x → %02x", f[0], f[1], old, now));
                }
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
