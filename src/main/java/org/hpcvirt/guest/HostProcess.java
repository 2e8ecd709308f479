package org.hpcvirt.guest;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/**
 * Runs a host tool (gcc, mkfs.ext4, qemu-img, busybox) from an argument list, never through a shell,
 * with a deadline; stdout and stderr are merged and returned. A non-zero exit, a missing tool or the
 * deadline become {@link HpcvirtException} OPERATION_FAILED / TIMEOUT naming the tool.
 */
final class HostProcess {
    private HostProcess() {
    }

    static String run(List<String> command, Path workDir, Map<String, String> env, Duration timeout) {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        if (workDir != null) {
            pb.directory(workDir.toFile());
        }
        pb.environment().putAll(env);
        String tool = command.get(0);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot run " + tool, e);
        }
        try {
            p.getOutputStream().close();
            // Output of these tools is small; read it fully, then wait with the deadline.
            byte[] out;
            try (InputStream in = p.getInputStream()) {
                out = in.readNBytes(1 << 20);
            }
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new HpcvirtException(ErrorCode.TIMEOUT, tool + " did not finish within " + timeout);
            }
            String text = new String(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED,
                        tool + " failed with exit code " + p.exitValue() + ": " + text.strip());
            }
            return text;
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "reading output of " + tool, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "interrupted while running " + tool, e);
        } finally {
            if (p.isAlive()) {
                p.destroyForcibly();
            }
        }
    }
}
