package org.hpcvirt.inject;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/**
 * E-Zone 2: sends SIGKILL or SIGSEGV to the VMM process. Refuses (OPERATION_FAILED) if the pid is not a
 * QEMU process, so that a stale pid never hits an unrelated process.
 */
public final class VmmSignalInjector implements Injector {
    @Override
    public Injection inject(FaultTarget target, FaultOptions options, InjectionContext context) {
        String signal = switch (options.fault()) {
            case VMM_SIGKILL -> "KILL";
            case VMM_SIGSEGV -> "SEGV";
            default -> throw new IllegalArgumentException("not a VMM signal fault: " + options.fault());
        };
        long pid = target.vmmPid();
        String cmdline;
        try {
            cmdline = new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "VMM pid " + pid + " of " + target.name() + " is gone");
        }
        if (!cmdline.contains("qemu-system")) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "pid " + pid + " of " + target.name()
                    + " is not a QEMU process; not signalling it");
        }
        Instant at = Instant.now();
        try {
            Process p = new ProcessBuilder("kill", "-s", signal, Long.toString(pid)).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "kill -s " + signal + " " + pid + " failed: " + out);
            }
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot run kill", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "interrupted", e);
        }
        return Injection.fired(options.fault(), at, "SIG" + signal + " to QEMU pid " + pid);
    }
}
