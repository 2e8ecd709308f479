package org.hpcvirt.inject;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.backend.Capabilities;
import org.hpcvirt.backend.Capability;

/**
 * Every fault hpcvirt knows, with its error zone and the options it accepts. {@link #HOST_KERNEL_PANIC}
 * is modelled so that campaigns and the command line can name E-Zone 1, but it is always refused.
 */
public enum Fault {
    /** The published experiment: kerncrash.ko divides by zero in a timer after {@code delay} s. */
    KERNCRASH("kerncrash", ErrorZone.GUEST_KERNEL, "kernel timer divides by zero after 'delay' seconds", true, List.of("delay")),
    /** {@code echo c > /proc/sysrq-trigger}: the kernel crashes itself. */
    SYSRQ_CRASH("sysrq-crash", ErrorZone.GUEST_KERNEL, "sysrq 'c': the kernel crashes on purpose", true, List.of()),
    /** kerncrash in mode {@code null}: a NULL pointer write in a timer (oops in interrupt context). */
    KERNEL_OOPS("kernel-oops", ErrorZone.GUEST_KERNEL, "NULL pointer write in a kernel timer (oops)", true, List.of("delay")),
    /** kerncrash in mode {@code lockup}: the vCPU spins with interrupts disabled; only heartbeat loss shows it. */
    KERNEL_HANG("kernel-hang", ErrorZone.GUEST_KERNEL, "kernel spins with interrupts disabled (lockup)", true, List.of("delay")),
    /** A guest process writes through NULL (SIGSEGV). */
    SEGFAULT("segfault", ErrorZone.GUEST_USER, "a guest process writes through NULL (SIGSEGV)", false, List.of()),
    /** A guest process calls abort() (SIGABRT). */
    ABORT("abort", ErrorZone.GUEST_USER, "a guest process calls abort() (SIGABRT)", false, List.of()),
    /** A guest process allocates until the guest kernel's OOM killer ends it. */
    OOM("oom", ErrorZone.GUEST_USER, "a guest process allocates memory until the OOM killer ends it", false, List.of()),
    /** A guest process spins; the agent kills it after {@code seconds}. */
    BUSY_LOOP("busy-loop", ErrorZone.GUEST_USER, "a guest process spins on the CPU for 'seconds'", false, List.of("seconds")),
    /** SIGKILL to the VMM process. */
    VMM_SIGKILL("vmm-sigkill", ErrorZone.HOST_USER, "SIGKILL to the QEMU process", true, List.of()),
    /** SIGSEGV to the VMM process. */
    VMM_SIGSEGV("vmm-sigsegv", ErrorZone.HOST_USER, "SIGSEGV to the QEMU process", true, List.of()),
    /** Bit flips in the known-answer workload's buffer (guest-physical memory, through the gdbstub). */
    BITFLIP_WORKLOAD("bitflip-workload", ErrorZone.GUEST_USER,
            "flip 'bits' bits in the checksum workload's buffer (guest-physical memory)", false, List.of("bits", "offset")),
    /** Bit flips at random guest-physical addresses while the workload runs. */
    BITFLIP_MEMORY("bitflip-memory", ErrorZone.GUEST_KERNEL,
            "flip 'bits' bits at random (or 'address') guest-physical addresses", false, List.of("bits", "address")),
    /** A bit flip in a vCPU register while the workload runs. */
    BITFLIP_REGISTER("bitflip-register", ErrorZone.GUEST_KERNEL,
            "flip bit 'bit' of vCPU register 'register' (rip, rsp, rax, …)", false, List.of("register", "bit")),
    /** E-Zone 1: would crash the real host kernel. Always refused. */
    HOST_KERNEL_PANIC("host-kernel-panic", ErrorZone.HOST_KERNEL, "crash the host kernel (always refused)", true, List.of());

    private final String id;
    private final ErrorZone zone;
    private final String description;
    private final boolean killsVictim;
    private final List<String> options;

    Fault(String id, ErrorZone zone, String description, boolean killsVictim, List<String> options) {
        this.id = id;
        this.zone = zone;
        this.description = description;
        this.killsVictim = killsVictim;
        this.options = options;
    }

    /** Name in campaign files and on the command line, e.g. {@code kerncrash}. */
    public String id() {
        return id;
    }

    /** The zone where the fault starts. */
    public ErrorZone zone() {
        return zone;
    }

    /** One line saying what the fault does. */
    public String description() {
        return description;
    }

    /** True if the fault is expected to end the victim VM (guest kernel dead or VMM gone), not only a process. */
    public boolean killsVictim() {
        return killsVictim;
    }

    /** True if the fault is a soft error whose outcome is judged against the workload's golden result. */
    public boolean isSoftError() {
        return this == BITFLIP_WORKLOAD || this == BITFLIP_MEMORY || this == BITFLIP_REGISTER;
    }

    /**
     * The backend capability the fault needs, if any: a soft error reads and writes guest memory
     * ({@link Capability#MEMORY_ACCESS}); any other fault that starts in the guest kernel needs a guest
     * kernel of the VM's own ({@link Capability#KERNEL_FAULTS}). User and VMM faults need none.
     */
    public Optional<Capability> requiredCapability() {
        if (isSoftError()) {
            return Optional.of(Capability.MEMORY_ACCESS);
        }
        return zone == ErrorZone.GUEST_KERNEL ? Optional.of(Capability.KERNEL_FAULTS) : Optional.empty();
    }

    /**
     * Refuses the fault on a backend that lacks {@link #requiredCapability()}: REFUSED, naming the
     * fault, the backend, the capability and the backend's reason. Nothing has been done when it throws.
     */
    public void requireSupportedBy(String backend, Capabilities capabilities) {
        requiredCapability().ifPresent(c -> capabilities.require(c, backend, "refusing to inject " + id + " ("
                + zone.label() + ", " + zone.place() + ")"));
    }

    /** The option names the fault accepts. */
    public List<String> options() {
        return options;
    }

    /**
     * The fault named {@code text}.
     *
     * @throws HpcvirtException INVALID_INPUT naming the known faults
     */
    public static Fault parse(String text) {
        for (Fault f : values()) {
            if (f.id.equals(text)) {
                return f;
            }
        }
        throw HpcvirtException.invalid("unknown fault '" + text + "' (known: "
                + Arrays.stream(values()).map(Fault::id).collect(Collectors.joining(", ")) + ")");
    }
}
