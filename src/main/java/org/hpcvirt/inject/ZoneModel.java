package org.hpcvirt.inject;

import java.util.ArrayList;
import java.util.List;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.enclave.IsolationLevel;

/**
 * The error-zone model: for each backend kind and isolation level, the expected effect of a fault
 * starting in each zone, and which faults hpcvirt refuses to run because they would hit the real host
 * kernel. Pure and thread-safe.
 *
 * <p>E-Zone 3 is the interesting one. Under {@code qemu} (TCG) the guest kernel is data interpreted by a
 * host user process, so a guest-kernel crash behaves like E-Zone 4 at every isolation level. Under
 * {@code kvm} it behaves like E-Zone 4 while devices stay virtual; once devices are mapped into the guest
 * and memory is shared for performance, a dying guest kernel can wedge a device or corrupt shared memory:
 * the spread is {@link Effect#VARIED}. A backend that shares the host kernel (a container backend) makes
 * E-Zone 3 the same as E-Zone 1: global, and refused; it has no VMM process either, so E-Zone 2
 * faults (signals to the VMM) are refused there too.
 */
public final class ZoneModel {
    /** How a backend separates the guest kernel from the host kernel. */
    public enum KernelSeparation {
        /** The guest kernel is emulated inside a host user process (QEMU TCG). */
        EMULATED,
        /** The guest kernel runs on the CPU under hardware virtualization (KVM). */
        HARDWARE,
        /** There is no guest kernel: the workload runs on the host kernel (containers). */
        SHARED_HOST_KERNEL
    }

    /**
     * The expected disposition of one zone for one backend at one isolation level.
     *
     * @param zone        where the fault starts
     * @param backend     backend name
     * @param isolation   isolation level
     * @param effect      expected spread
     * @param behavesLike the zone this one behaves like here (itself unless E-Zone 3 devolves)
     * @param reason      why, in one sentence
     * @param injectable  false if hpcvirt refuses to inject here (it would hit the real host kernel)
     */
    public record Disposition(ErrorZone zone, String backend, IsolationLevel isolation, Effect effect,
                              ErrorZone behavesLike, String reason, boolean injectable) {
    }

    /** Backends the model knows, with their kernel separation ({@code container} shares the host kernel). */
    public static final List<String> KNOWN_BACKENDS = List.of("qemu", "kvm", "container");

    private ZoneModel() {
    }

    /** How {@code backend} separates kernels; unknown backends are treated as {@link KernelSeparation#HARDWARE}. */
    public static KernelSeparation separation(String backend) {
        return switch (backend) {
            case "qemu", "libvirt" -> KernelSeparation.EMULATED;
            case "container", "lxc", "docker" -> KernelSeparation.SHARED_HOST_KERNEL;
            default -> KernelSeparation.HARDWARE;
        };
    }

    /** The expected disposition of {@code zone} on {@code backend} at {@code isolation}. */
    public static Disposition disposition(ErrorZone zone, String backend, IsolationLevel isolation) {
        KernelSeparation sep = separation(backend);
        return switch (zone) {
            case HOST_KERNEL -> new Disposition(zone, backend, isolation, Effect.GLOBAL, zone,
                    "the host kernel runs every VM of the node", false);
            case HOST_USER -> sep == KernelSeparation.SHARED_HOST_KERNEL
                    ? new Disposition(zone, backend, isolation, Effect.LIMITED, zone,
                            "there is no VMM process to signal: crun exits once the container runs, and the container's"
                                    + " init is a guest process (E-Zone 4)", false)
                    : new Disposition(zone, backend, isolation, Effect.LIMITED, zone, "each VM has its own VMM process", true);
            case GUEST_USER -> new Disposition(zone, backend, isolation, Effect.LIMITED, zone,
                    "the kernel under the process contains its failure", true);
            case GUEST_KERNEL -> guestKernel(backend, isolation, sep);
        };
    }

    private static Disposition guestKernel(String backend, IsolationLevel isolation, KernelSeparation sep) {
        ErrorZone z = ErrorZone.GUEST_KERNEL;
        return switch (sep) {
            case EMULATED -> new Disposition(z, backend, isolation, Effect.LIMITED, ErrorZone.GUEST_USER,
                    "the guest kernel is data in one host user process (TCG) at every isolation level", true);
            case HARDWARE -> isolation == IsolationLevel.PERFORMANCE
                    ? new Disposition(z, backend, isolation, Effect.VARIED, ErrorZone.HOST_KERNEL,
                            "devices mapped into the guest and shared memory can carry the failure out of the VM", true)
                    : new Disposition(z, backend, isolation, Effect.LIMITED, ErrorZone.GUEST_USER,
                            "hardware virtualization with virtual devices keeps the guest kernel apart", true);
            case SHARED_HOST_KERNEL -> new Disposition(z, backend, isolation, Effect.GLOBAL, ErrorZone.HOST_KERNEL,
                    "the guest kernel is the host kernel", false);
        };
    }

    /** The disposition of {@code fault}'s zone on {@code backend} at {@code isolation}. */
    public static Disposition disposition(Fault fault, String backend, IsolationLevel isolation) {
        return disposition(fault.zone(), backend, isolation);
    }

    /**
     * Checks that {@code fault} may be injected on {@code backend} at {@code isolation}.
     *
     * @throws HpcvirtException REFUSED, explaining why, when the fault would hit the real host kernel or
     *         its target does not exist on this backend (a VMM signal in a container)
     */
    public static void requireInjectable(Fault fault, String backend, IsolationLevel isolation) {
        Disposition d = disposition(fault, backend, isolation);
        if (!d.injectable() && fault.zone() == ErrorZone.HOST_USER) {
            throw new HpcvirtException(ErrorCode.REFUSED, "refusing to inject " + fault.id() + " (" + fault.zone().label()
                    + ", " + fault.zone().place() + ") on backend '" + backend + "': " + d.reason());
        }
        if (!d.injectable()) {
            throw new HpcvirtException(ErrorCode.REFUSED, "refusing to inject " + fault.id() + " (" + fault.zone().label()
                    + ", " + fault.zone().place() + ") on backend '" + backend + "': " + d.reason()
                    + ", so the fault would hit the real host kernel and take the whole node down (effect global)");
        }
    }

    /** Every disposition for the known backends (and any extra names), zone by zone, for {@code hpcvirt zones}. */
    public static List<Disposition> table(List<String> backends) {
        List<Disposition> out = new ArrayList<>();
        for (ErrorZone z : ErrorZone.values()) {
            for (String b : backends) {
                for (IsolationLevel l : IsolationLevel.values()) {
                    out.add(disposition(z, b, l));
                }
            }
        }
        return out;
    }
}
