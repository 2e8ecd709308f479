package org.hpcvirt.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Test fixture: libvirtd and virtlogd for the ITs that use the libvirt backend, through
 * {@code bench/libvirt-setup.sh} (which installs Debian's libvirt if missing and starts the daemons
 * without systemd unless {@code qemu:///system} already answers). {@link #down()} stops only the
 * daemons {@link #up()} started, recorded in a state file. Not thread-safe: one per test class.
 */
final class LibvirtDaemons {
    private static final Path SCRIPT = Path.of("bench/libvirt-setup.sh");
    private final Path state;
    private String unavailable;

    LibvirtDaemons() {
        try {
            Files.createDirectories(Path.of("target"));
            this.state = Files.createTempFile(Path.of("target").toAbsolutePath(), "libvirt-state", ".txt");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Starts libvirt unless it runs; null when {@code qemu:///system} answers, else the script's reason. */
    String up() {
        String out = run("up");
        String last = out.lines().reduce((a, b) -> b).orElse("").strip();
        unavailable = last.equals("ok") ? null : last;
        return unavailable;
    }

    /** What this fixture started, one line per daemon ("libvirtd PID"); empty if libvirt already ran. */
    List<String> started() throws IOException {
        return Files.exists(state) ? Files.readAllLines(state) : List.of();
    }

    /** Stops the daemons {@link #up()} started (none if libvirt already ran). */
    void down() {
        run("down");
    }

    private String run(String cmd) {
        try {
            Process p = new ProcessBuilder("sh", SCRIPT.toString(), cmd, state.toString()).redirectErrorStream(true).start();
            byte[] o = p.getInputStream().readAllBytes();
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                return "not available: " + SCRIPT + " " + cmd + " took longer than 5 minutes";
            }
            return new String(o, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "not available: cannot run " + SCRIPT + ": " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "not available: interrupted";
        }
    }
}
