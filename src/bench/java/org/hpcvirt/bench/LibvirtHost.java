package org.hpcvirt.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/**
 * The libvirt baseline's host side, shared by the benchmarks that compare with libvirt: bringing
 * libvirt up and down with {@code bench/libvirt-setup.sh}, {@code virsh} against
 * {@code qemu:///system}, and the domain XML of a benchmark's guest. Stateless.
 */
final class LibvirtHost {
    /** The connection every benchmark's domains live on. */
    static final String URI = "qemu:///system";

    private LibvirtHost() {
    }

    /**
     * {@code script up state}: installs and starts libvirt unless it runs; returns null when it is
     * usable, else the reason it is not (also when {@code script} is null: "left out (--no-libvirt)").
     */
    static String up(Path script, Path state) {
        if (script == null) {
            return "left out (--no-libvirt)";
        }
        try {
            String outp = run(List.of(script.toString(), "up", state.toString()), true).strip();
            String last = outp.lines().reduce((a, b) -> b).orElse("");
            return last.equals("ok") ? null : last.replaceFirst("^not available: ", "");
        } catch (RuntimeException e) {
            return HpcvirtException.chain(e);
        }
    }

    /** {@code script down state}: stops the libvirt daemons that {@link #up} started, none other. */
    static void down(Path script, Path state) {
        if (script != null) {
            run(List.of(script.toString(), "down", state.toString()), false);
        }
    }

    /** {@code virsh -q -c URI args…}; its output. @throws HpcvirtException if it fails */
    static String virsh(String... args) {
        List<String> cmd = new ArrayList<>(List.of("virsh", "-q", "-c", URI));
        cmd.addAll(List.of(args));
        return run(cmd, true);
    }

    /** Like {@link #virsh} without failing (clean-up). */
    static void virshQuiet(String... args) {
        List<String> cmd = new ArrayList<>(List.of("virsh", "-q", "-c", URI));
        cmd.addAll(List.of(args));
        run(cmd, false);
    }

    /** libvirt's library and hypervisor versions, one line. */
    static String version() {
        return virsh("version").lines().filter(l -> l.contains("library") || l.contains("hypervisor"))
                .reduce((a, b) -> a + "; " + b).orElse("?").replaceAll("\\s+", " ");
    }

    /** Runs a tool to its end (at most 5 minutes), stdout and stderr together; with {@code check}, fails unless it exits 0. */
    static String run(List<String> cmd, boolean check) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            byte[] o = p.getInputStream().readAllBytes();
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
            }
            String s = new String(o, StandardCharsets.UTF_8);
            if (check && p.exitValue() != 0) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, String.join(" ", cmd) + " failed: " + s.strip());
            }
            return s;
        } catch (IOException e) {
            if (check) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot run " + cmd.get(0), e);
            }
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "interrupted", e);
        }
    }

    /**
     * A transient TCG domain named {@code name} of {@code profile}'s shape booting {@code image}'s
     * kernel directly, with {@code disk} as its virtio data disk, the agent's channel, console and
     * gdbstub in {@code dir}: the product's own domain XML ({@code LibvirtDomainXml}, what the
     * {@code libvirt} backend launches), so the baseline runs the same guest hpcvirt does.
     */
    static String domainXml(String name, org.hpcvirt.profile.VmProfile profile, org.hpcvirt.guest.Image image, Path disk, Path dir)
            throws IOException {
        return org.hpcvirt.backend.libvirt.LibvirtDomainXml.of(new org.hpcvirt.backend.LaunchSpec(profile, dir,
                image.kernel().toRealPath(), image.initramfs().toRealPath(), disk, null, false), name);
    }
}
