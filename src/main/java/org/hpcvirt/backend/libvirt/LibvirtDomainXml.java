package org.hpcvirt.backend.libvirt;

import java.nio.file.Files;
import java.nio.file.Path;
import org.hpcvirt.backend.LaunchSpec;
import org.hpcvirt.backend.qemu.QemuCommandLine;
import org.hpcvirt.profile.VmProfile;

/**
 * Builds the libvirt domain XML of a {@link LaunchSpec}: the guest the {@code qemu} backend runs,
 * in libvirt's terms. Pure apart from resolving the emulator's absolute path, so it is unit-tested;
 * the libvirt backend launches exactly this XML and {@code hpcvirt vm export --format libvirt}
 * prints it. Stateless and thread-safe.
 *
 * <p>Files the domain uses live in the spec's run directory under the same names as for the
 * {@code qemu} backend ({@link QemuCommandLine#AGENT_SOCKET}, {@link QemuCommandLine#CONSOLE_LOG},
 * {@link QemuCommandLine#GDB_SOCKET}), so the daemon's guest channel and memory access find them
 * the same way.
 */
public final class LibvirtDomainXml {
    /** Prefix of every domain hpcvirt runs: {@code hpcvirt-NAME}. */
    public static final String DOMAIN_PREFIX = "hpcvirt-";

    private LibvirtDomainXml() {
    }

    /** The domain name of the VM {@code vmName}. */
    public static String domainName(String vmName) {
        return DOMAIN_PREFIX + vmName;
    }

    /**
     * The domain XML. {@code type='qemu'} (TCG): libvirt's {@code kvm} type needs /dev/kvm. QEMU
     * runs as root with no relabelling ({@code seclabel dac +0:+0}) so that it opens the daemon's
     * run directory and disk files as the qemu backend's QEMU does; the gdbstub (memory access) is
     * a QEMU argument libvirt has no element for, which libvirt reports as "custom argv" taint.
     * The panic device is the qemu backend's {@code pvpanic-pci}, also as a QEMU argument: libvirt
     * 9.0's {@code <panic>} only offers the ISA model, which the golden image has no driver for
     * (it loads {@code pvpanic-pci}). libvirt still sees QEMU's GUEST_PANICKED event and, with
     * {@code on_crash preserve}, keeps the domain crashed for inspection, like the qemu backend's
     * {@code -action panic=pause}; a reboot or power-off ends the domain.
     */
    public static String of(LaunchSpec spec) {
        return of(spec, domainName(spec.profile().name()));
    }

    /** Like {@link #of(LaunchSpec)} with another domain name (the benchmarks' libvirt baseline names its own). */
    public static String of(LaunchSpec spec, String domainName) {
        VmProfile p = spec.profile();
        Path run = spec.runDir().toAbsolutePath();
        StringBuilder x = new StringBuilder();
        x.append("<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n");
        x.append("  <name>").append(esc(domainName)).append("</name>\n");
        x.append("  <memory unit='KiB'>").append(p.memoryBytes() / 1024).append("</memory>\n");
        x.append("  <vcpu placement='static'").append(cpuset(p)).append(">").append(p.cpus()).append("</vcpu>\n");
        x.append("  <os>\n");
        x.append("    <type arch='x86_64' machine='q35'>hvm</type>\n");
        x.append("    <kernel>").append(esc(real(spec.kernel()))).append("</kernel>\n");
        x.append("    <initrd>").append(esc(real(spec.initramfs()))).append("</initrd>\n");
        x.append("    <cmdline>").append(esc(QemuCommandLine.kernelCommandLine(p))).append("</cmdline>\n");
        x.append("  </os>\n");
        x.append("  <features><acpi/></features>\n");
        x.append("  <cpu mode='maximum'/>\n");
        x.append("  <on_poweroff>destroy</on_poweroff>\n");
        x.append("  <on_reboot>destroy</on_reboot>\n");
        x.append("  <on_crash>preserve</on_crash>\n");
        x.append("  <devices>\n");
        x.append("    <emulator>").append(esc(emulator())).append("</emulator>\n");
        if (spec.dataDisk() != null) {
            x.append("    <disk type='file' device='disk'>\n");
            x.append("      <driver name='qemu' type='qcow2' cache='writeback'/>\n");
            x.append("      <source file='").append(esc(spec.dataDisk().toAbsolutePath().toString())).append("'/>\n");
            x.append("      <target dev='vda' bus='virtio'/>\n");
            x.append("      <alias name='ua-data'/>\n");
            x.append("    </disk>\n");
        }
        x.append("    <controller type='usb' model='none'/>\n");
        x.append("    <controller type='virtio-serial' index='0'/>\n");
        x.append("    <channel type='unix'>\n");
        x.append("      <source mode='bind' path='").append(esc(run.resolve(QemuCommandLine.AGENT_SOCKET).toString())).append("'/>\n");
        x.append("      <target type='virtio' name='").append(QemuCommandLine.AGENT_PORT).append("'/>\n");
        x.append("    </channel>\n");
        x.append("    <serial type='file'>\n");
        x.append("      <source path='").append(esc(run.resolve(QemuCommandLine.CONSOLE_LOG).toString())).append("'/>\n");
        x.append("    </serial>\n");
        if (p.network() == VmProfile.Network.USER) {
            x.append("    <interface type='user'><model type='virtio'/></interface>\n");
        }
        if (p.network() == VmProfile.Network.PRIVATE) {
            x.append("    <interface type='ethernet'><target dev='").append(org.hpcvirt.network.PrivateNetwork.tapOf(p.name()))
                    .append("' managed='no'/><mac address='").append(org.hpcvirt.network.PrivateNetwork.macOf(p.name()))
                    .append("'/><model type='virtio'/></interface>\n");
        }
        x.append("    <memballoon model='none'/>\n");
        x.append("  </devices>\n");
        x.append("  <seclabel type='static' model='dac' relabel='no'><label>+0:+0</label></seclabel>\n");
        x.append("  <qemu:commandline>\n");
        x.append("    <qemu:arg value='-chardev'/>\n");
        x.append("    <qemu:arg value='socket,id=gdb0,path=").append(esc(run.resolve(QemuCommandLine.GDB_SOCKET).toString()))
                .append(",server=on,wait=off'/>\n");
        x.append("    <qemu:arg value='-gdb'/>\n");
        x.append("    <qemu:arg value='chardev:gdb0'/>\n");
        x.append("    <qemu:arg value='-device'/>\n");
        // an address of its own: libvirt places its devices explicitly from slot 1 on and knows nothing of this one
        x.append("    <qemu:arg value='pvpanic-pci,bus=pcie.0,addr=0x1d'/>\n");
        x.append("  </qemu:commandline>\n");
        x.append("</domain>\n");
        return x.toString();
    }

    private static String cpuset(VmProfile p) {
        if (p.pinning().isEmpty()) {
            return "";
        }
        return " cpuset='" + String.join(",", p.pinning().stream().map(String::valueOf).toList()) + "'";
    }

    /** The absolute path of the QEMU binary hpcvirt runs: libvirt's {@code <emulator>} must be absolute. */
    static String emulator() {
        String b = QemuCommandLine.binary();
        if (b.startsWith("/")) {
            return b;
        }
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, b))) {
                return Path.of(d, b).toString();
            }
        }
        return "/usr/bin/" + b;
    }

    /** The file's real path if it exists (image files are often symlinks into a store), else as given. */
    private static String real(Path f) {
        try {
            return f.toRealPath().toString();
        } catch (java.io.IOException e) {
            return f.toAbsolutePath().toString();
        }
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&apos;").replace("\"", "&quot;");
    }
}
