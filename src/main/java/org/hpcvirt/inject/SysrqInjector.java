package org.hpcvirt.inject;

import java.time.Instant;

/** E-Zone 3: {@code echo c > /proc/sysrq-trigger} — the guest kernel crashes itself at once. */
public final class SysrqInjector implements Injector {
    @Override
    public Injection inject(FaultTarget target, FaultOptions options, InjectionContext context) {
        Instant sent = Instant.now();
        GuestCommands.detached(target, "echo c > /proc/sysrq-trigger");
        return Injection.fired(options.fault(), sent, "echo c > /proc/sysrq-trigger");
    }
}
