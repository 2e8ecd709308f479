package org.hpcvirt.network;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/**
 * Runs iproute2's {@code ip} and {@code bridge} commands: an argument list, never a shell string.
 * Implementations are thread-safe; tests give a fake that records the argument lists.
 */
@FunctionalInterface
public interface IpCommands {
    /**
     * The outcome of one command.
     *
     * @param exitCode its exit code
     * @param output   standard output and error, merged
     */
    record Result(int exitCode, String output) {
        public boolean ok() {
            return exitCode == 0;
        }
    }

    /** Runs {@code argv} (its first element is {@code ip} or {@code bridge}) and waits for it. */
    Result run(List<String> argv);

    /** The commands of this host, found on PATH, each given at most 10 s. */
    IpCommands SYSTEM = argv -> {
        Process p;
        try {
            p = new ProcessBuilder(argv).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot run '" + argv.get(0) + "' (install iproute2): " + e.getMessage());
        }
        try {
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new HpcvirtException(ErrorCode.TIMEOUT, "'" + String.join(" ", argv) + "' did not end within 10 s");
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            p.destroyForcibly();
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "'" + String.join(" ", argv) + "': " + e.getMessage());
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "interrupted while running '" + String.join(" ", argv) + "'");
        }
    };
}
