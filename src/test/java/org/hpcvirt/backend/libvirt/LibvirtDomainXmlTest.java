package org.hpcvirt.backend.libvirt;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPath;
import javax.xml.xpath.XPathFactory;
import org.hpcvirt.backend.LaunchSpec;
import org.hpcvirt.profile.VmProfile;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

class LibvirtDomainXmlTest {
    private static VmProfile profile(String name, List<Integer> pin, VmProfile.Network net, VmProfile.Disk disk, String extra) {
        return new VmProfile(name, "libvirt", 2, 128L << 20, disk, net, "default", Duration.ofMillis(250), Duration.ofSeconds(3),
                pin, extra, null);
    }

    private static LaunchSpec spec(VmProfile p, Path disk) {
        return new LaunchSpec(p, Path.of("/tmp/run/c1"), Path.of("/img/vmlinuz"), Path.of("/img/initramfs.cpio.gz"), disk, null, false);
    }

    private static Document parse(String xml) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(false);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
    }

    private static String at(Document d, String xpath) throws Exception {
        XPath x = XPathFactory.newInstance().newXPath();
        return x.evaluate(xpath, d);
    }

    @Test
    void theQemuBackendsGuestInLibvirtsTerms() throws Exception {
        Document d = parse(LibvirtDomainXml.of(spec(profile("c1", List.of(), VmProfile.Network.NONE, null, ""), null)));
        assertThat(at(d, "/domain/@type")).isEqualTo("qemu");
        assertThat(at(d, "/domain/name")).isEqualTo("hpcvirt-c1");
        assertThat(at(d, "/domain/memory")).isEqualTo("131072");
        assertThat(at(d, "/domain/memory/@unit")).isEqualTo("KiB");
        assertThat(at(d, "/domain/vcpu")).isEqualTo("2");
        assertThat(at(d, "/domain/vcpu/@cpuset")).isEmpty();
        assertThat(at(d, "/domain/os/type/@machine")).isEqualTo("q35");
        assertThat(at(d, "/domain/os/kernel")).isEqualTo("/img/vmlinuz");
        assertThat(at(d, "/domain/os/initrd")).isEqualTo("/img/initramfs.cpio.gz");
        assertThat(at(d, "/domain/os/cmdline")).contains("console=ttyS0", "hpcvirt.name=c1", "hpcvirt.hb=250").doesNotContain("hpcvirt.disk");
        // the agent on the same virtio-serial port name and socket as the qemu backend's
        assertThat(at(d, "/domain/devices/channel[@type='unix']/target/@name")).isEqualTo("org.hpcvirt.agent");
        assertThat(at(d, "/domain/devices/channel[@type='unix']/source/@path")).isEqualTo("/tmp/run/c1/agent.sock");
        assertThat(at(d, "/domain/devices/channel[@type='unix']/source/@mode")).isEqualTo("bind");
        assertThat(at(d, "/domain/devices/serial/source/@path")).isEqualTo("/tmp/run/c1/console.log");
        // pvpanic, kept for inspection; a reboot ends the domain
        assertThat(at(d, "//*[local-name()='commandline']/*[6]/@value")).isEqualTo("pvpanic-pci,bus=pcie.0,addr=0x1d");
        assertThat(at(d, "/domain/on_crash")).isEqualTo("preserve");
        assertThat(at(d, "/domain/on_reboot")).isEqualTo("destroy");
        assertThat(at(d, "count(/domain/devices/disk)")).isEqualTo("0");
        assertThat(at(d, "count(/domain/devices/interface)")).isEqualTo("0");
        assertThat(at(d, "/domain/devices/emulator")).startsWith("/");
        // the gdbstub socket the memory access uses
        assertThat(at(d, "//*[local-name()='commandline']/*[2]/@value")).isEqualTo("socket,id=gdb0,path=/tmp/run/c1/gdb.sock,server=on,wait=off");
    }

    @Test
    void dataDiskNetworkAndPinning() throws Exception {
        VmProfile p = profile("c1", List.of(0, 1), VmProfile.Network.USER, new VmProfile.Disk(1L << 30), "quiet=1");
        Document d = parse(LibvirtDomainXml.of(spec(p, Path.of("/var/lib/hv/disks/c1.qcow2"))));
        assertThat(at(d, "/domain/devices/disk/source/@file")).isEqualTo("/var/lib/hv/disks/c1.qcow2");
        assertThat(at(d, "/domain/devices/disk/driver/@type")).isEqualTo("qcow2");
        assertThat(at(d, "/domain/devices/disk/target/@bus")).isEqualTo("virtio");
        assertThat(at(d, "/domain/devices/interface/@type")).isEqualTo("user");
        assertThat(at(d, "/domain/vcpu/@cpuset")).isEqualTo("0,1");
        assertThat(at(d, "/domain/os/cmdline")).contains("hpcvirt.disk=data", "hpcvirt.net=user", "quiet=1");
    }

    @Test
    void aPrivateNetworkIsAnUnmanagedEthernetInterfaceOnTheVmsTap() throws Exception {
        VmProfile p = new VmProfile("j42-hvs-n1-0", "libvirt", 1, 128L << 20, null, VmProfile.Network.PRIVATE, "default",
                Duration.ofMillis(250), Duration.ofSeconds(3), List.of(), "", null, null, "j42");
        Document d = parse(LibvirtDomainXml.of(spec(p, null)));
        assertThat(at(d, "/domain/devices/interface/@type")).isEqualTo("ethernet");
        assertThat(at(d, "/domain/devices/interface/target/@dev")).isEqualTo(org.hpcvirt.network.PrivateNetwork.tapOf("j42-hvs-n1-0"));
        assertThat(at(d, "/domain/devices/interface/target/@managed")).isEqualTo("no");
        assertThat(at(d, "/domain/devices/interface/mac/@address")).isEqualTo(org.hpcvirt.network.PrivateNetwork.macOf("j42-hvs-n1-0"));
        assertThat(at(d, "/domain/devices/interface/model/@type")).isEqualTo("virtio");
    }

    @Test
    void textFromTheProfileIsEscaped() throws Exception {
        VmProfile p = profile("c1", List.of(), VmProfile.Network.NONE, null, "a=<b> c='d' e=&f");
        String xml = LibvirtDomainXml.of(spec(p, null));
        assertThat(at(parse(xml), "/domain/os/cmdline")).endsWith("a=<b> c='d' e=&f");
    }
}
