package org.hpcvirt.backend.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.hpcvirt.backend.LaunchSpec;
import org.hpcvirt.profile.VmProfile;
import org.junit.jupiter.api.Test;

class QemuCommandLineTest {
    private static VmProfile profile(String backend, List<Integer> pin, VmProfile.Network net, VmProfile.Disk disk, String extra) {
        return new VmProfile("c1", backend, 2, 128L << 20, disk, net, "default", Duration.ofMillis(250), Duration.ofSeconds(3),
                pin, extra, null);
    }

    private static LaunchSpec spec(VmProfile p, Path disk, Path incoming) {
        return new LaunchSpec(p, Path.of("/tmp/run/c1"), Path.of("/img/vmlinuz"), Path.of("/img/initramfs.cpio.gz"), disk, incoming, false);
    }

    private static String after(List<String> args, String flag) {
        int i = args.indexOf(flag);
        assertThat(i).as("flag %s present", flag).isGreaterThanOrEqualTo(0);
        return args.get(i + 1);
    }

    @Test
    void tcgCommandLineHasDevicesSocketsAndPanicAction() {
        List<String> a = QemuCommandLine.build(spec(profile("qemu", List.of(), VmProfile.Network.NONE, null, ""), null, null),
                QemuCommandLine.Accel.TCG);
        assertThat(after(a, "-machine")).isEqualTo("q35,accel=tcg");
        assertThat(after(a, "-m")).isEqualTo("128M");
        assertThat(after(a, "-smp")).isEqualTo("2");
        assertThat(after(a, "-qmp")).isEqualTo("unix:/tmp/run/c1/qmp.sock,server=on,wait=off");
        assertThat(after(a, "-serial")).isEqualTo("file:/tmp/run/c1/console.log");
        assertThat(a).contains("pvpanic-pci", "panic=pause", "reboot=shutdown", "-nodefaults", "-no-user-config");
        assertThat(a).anySatisfy(s -> assertThat(s).startsWith("virtserialport,").endsWith("name=org.hpcvirt.agent"));
        assertThat(after(a, "-append")).contains("console=ttyS0").contains("hpcvirt.hb=250").contains("hpcvirt.name=c1");
        assertThat(a).doesNotContain("-S", "-incoming", "-netdev", "-drive");
    }

    @Test
    void switchingBackendOnlyChangesTheAccelerator() {
        List<String> tcg = QemuCommandLine.build(spec(profile("qemu", List.of(), VmProfile.Network.NONE, null, ""), null, null),
                QemuCommandLine.Accel.TCG);
        List<String> kvm = QemuCommandLine.build(spec(profile("kvm", List.of(), VmProfile.Network.NONE, null, ""), null, null),
                QemuCommandLine.Accel.KVM);
        assertThat(kvm).hasSameSizeAs(tcg);
        int diffs = 0;
        for (int i = 0; i < tcg.size(); i++) {
            if (!tcg.get(i).equals(kvm.get(i))) {
                diffs++;
            }
        }
        assertThat(diffs).isEqualTo(2); // -machine accel and -cpu model
        assertThat(after(kvm, "-cpu")).isEqualTo("host");
    }

    @Test
    void diskNetworkIncomingAndExtraArgs() {
        VmProfile p = profile("qemu", List.of(), VmProfile.Network.USER, new VmProfile.Disk(256L << 20), "loglevel=4");
        List<String> a = QemuCommandLine.build(spec(p, Path.of("/vms/c1/data.qcow2"), Path.of("/ck/state")), QemuCommandLine.Accel.TCG);
        assertThat(after(a, "-drive")).startsWith("file=/vms/c1/data.qcow2,").contains("format=qcow2");
        assertThat(after(a, "-netdev")).isEqualTo("user,id=net0");
        assertThat(after(a, "-incoming")).isEqualTo("defer");
        assertThat(a).contains("-S");
        assertThat(after(a, "-append")).endsWith(" loglevel=4").contains("hpcvirt.net=user");
    }

    @Test
    void aPrivateNetworkIsTheVmsOwnTapWithAMacFromItsName() {
        VmProfile p = new VmProfile("j42-hvs-n1-0", "qemu", 1, 128L << 20, null, VmProfile.Network.PRIVATE, "default",
                Duration.ofMillis(250), Duration.ofSeconds(3), List.of(), "", null, null, "j42");
        List<String> a = QemuCommandLine.build(spec(p, null, null), QemuCommandLine.Accel.TCG);
        String tap = org.hpcvirt.network.PrivateNetwork.tapOf("j42-hvs-n1-0");
        assertThat(after(a, "-netdev")).isEqualTo("tap,id=net0,ifname=" + tap + ",script=no,downscript=no");
        assertThat(a).contains("virtio-net-pci,netdev=net0,mac=" + org.hpcvirt.network.PrivateNetwork.macOf("j42-hvs-n1-0"));
        assertThat(after(a, "-append")).contains("hpcvirt.net=private");
        assertThat(QemuCommandLine.build(spec(p.withName("j42-hvs-n1-1"), null, null), QemuCommandLine.Accel.TCG))
                .as("a VM restored under another name opens its own tap").doesNotContain("tap,id=net0,ifname=" + tap + ",script=no,downscript=no");
    }

    @Test
    void argumentsWithSpacesStayOneArgument() {
        VmProfile p = profile("qemu", List.of(), VmProfile.Network.NONE, null, "a=1 b=\"x y\"");
        List<String> a = QemuCommandLine.build(spec(p, null, null), QemuCommandLine.Accel.TCG);
        assertThat(after(a, "-append")).contains("a=1 b=\"x y\"");
    }

    @Test
    void wrappedRunsInOwnSessionAndPinsWhenAsked() {
        List<String> plain = QemuCommandLine.wrapped(spec(profile("qemu", List.of(), VmProfile.Network.NONE, null, ""), null, null),
                QemuCommandLine.Accel.TCG);
        assertThat(plain.get(0)).isEqualTo("setsid");
        assertThat(plain).doesNotContain("taskset");
        List<String> pinned = QemuCommandLine.wrapped(spec(profile("qemu", List.of(0, 1), VmProfile.Network.NONE, null, ""), null, null),
                QemuCommandLine.Accel.TCG);
        assertThat(pinned.subList(0, 4)).containsExactly("setsid", "taskset", "-c", "0,1");
        assertThat(pinned.get(4)).isEqualTo(QemuCommandLine.binary());
    }
}
