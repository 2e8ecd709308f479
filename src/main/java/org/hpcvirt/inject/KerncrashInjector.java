package org.hpcvirt.inject;

import java.time.Duration;
import java.time.Instant;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.guest.ExecResult;
import org.hpcvirt.guest.ImageBuilder;

/**
 * E-Zone 3: loads {@code kerncrash.ko} in the guest ({@code insmod kerncrash.ko delay=N mode=M}); after
 * {@code delay} seconds its timer divides by zero ({@link Fault#KERNCRASH}), writes through NULL
 * ({@link Fault#KERNEL_OOPS}) or spins with interrupts off ({@link Fault#KERNEL_HANG}). With a delay of at
 * least one second the insmod is awaited and checked; with delay 0 it is started detached, because the
 * kernel may die before the agent can answer.
 */
public final class KerncrashInjector implements Injector {
    /** Default delay in seconds (the module's own default is 5; campaigns want short runs). */
    public static final long DEFAULT_DELAY = 1;

    @Override
    public Injection inject(FaultTarget target, FaultOptions options, InjectionContext context) {
        String mode = switch (options.fault()) {
            case KERNCRASH -> "divzero";
            case KERNEL_OOPS -> "null";
            case KERNEL_HANG -> "lockup";
            default -> throw new IllegalArgumentException("not a kerncrash fault: " + options.fault());
        };
        long delay = options.integer("delay", DEFAULT_DELAY, 0, 3600);
        String insmod = "insmod /lib/modules/$(uname -r)/" + ImageBuilder.KERNCRASH_MODULE + " delay=" + delay + " mode=" + mode;
        Instant sent = Instant.now();
        if (delay == 0) {
            GuestCommands.detached(target, insmod);
        } else {
            ExecResult r = target.exec(insmod + " 2>&1", Duration.ofSeconds(20));
            if (r.exitCode() != 0) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "insmod kerncrash failed in " + target.name()
                        + " (exit " + r.exitCode() + "): " + r.output().strip());
            }
        }
        // The timer was armed after 'sent': counting from 'sent' can only overstate detection latency.
        return Injection.fired(options.fault(), sent.plusSeconds(delay), "kerncrash.ko mode=" + mode + " delay=" + delay + "s");
    }
}
