package org.hpcvirt.inject;

import java.time.Duration;
import java.time.Instant;
import org.hpcvirt.guest.ExecResult;

/**
 * E-Zone 4: runs {@code /sbin/hpcvirt-fault} in the guest ({@code segv}, {@code abort}, {@code oom},
 * {@code busy}) and waits for it to end. A busy loop spins until the agent kills it after
 * {@code seconds} (exit 137). The exit status is the process-level detection.
 */
public final class GuestProcessInjector implements Injector {
    @Override
    public Injection inject(FaultTarget target, FaultOptions options, InjectionContext context) {
        String command;
        Duration timeout = Duration.ofSeconds(30);
        switch (options.fault()) {
            case SEGFAULT -> command = "/sbin/hpcvirt-fault segv";
            case ABORT -> command = "/sbin/hpcvirt-fault abort";
            case OOM -> {
                command = "/sbin/hpcvirt-fault oom";
                timeout = Duration.ofSeconds(120);
            }
            case BUSY_LOOP -> {
                command = "/sbin/hpcvirt-fault busy 0";
                timeout = Duration.ofSeconds(options.integer("seconds", 2, 1, 3600));
            }
            default -> throw new IllegalArgumentException("not a guest-process fault: " + options.fault());
        }
        Instant sent = Instant.now();
        ExecResult r = target.exec(command, timeout);
        Instant end = Instant.now();
        String detail = command + " → exit " + r.exitCode() + describe(r.exitCode());
        return new Injection(options.fault(), sent, detail, r.exitCode(), end, null);
    }

    private static String describe(int rc) {
        return switch (rc) {
            case 134 -> " (SIGABRT)";
            case 137 -> " (SIGKILL)";
            case 139 -> " (SIGSEGV)";
            default -> "";
        };
    }
}
