package org.hpcvirt.backend.libvirt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.backend.LaunchSpec;
import org.hpcvirt.profile.VmProfile;
import org.junit.jupiter.api.Test;

/** The domain XML handling of libvirt checkpoints: a drive's chain, and the saved XML retargeted for a restore. */
class LibvirtCheckpointXmlTest {
    /** A live domain XML as libvirt 9.0 describes a data disk two layers above its raw base. */
    private static final String LIVE = """
            <domain type='qemu' id='3'>
              <name>hpcvirt-a</name>
              <devices>
                <disk type='file' device='disk'>
                  <driver name='qemu' type='qcow2' cache='writeback'/>
                  <source file='/s/layers/top.qcow2' index='3'/>
                  <backingStore type='file' index='1'>
                    <format type='qcow2'/>
                    <source file='/s/layers/frozen.qcow2'/>
                    <backingStore type='file' index='2'>
                      <format type='raw'/>
                      <source file='/img/disk-base.ext4'/>
                      <backingStore/>
                    </backingStore>
                  </backingStore>
                  <target dev='vda' bus='virtio'/>
                  <alias name='ua-data'/>
                </disk>
              </devices>
            </domain>
            """;

    /** What a save image embeds: the then top layer, the then run directory. */
    private static final String SAVED = """
            <domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
              <name>hpcvirt-a</name>
              <uuid>76947a29-71e8-4837-85d5-17cf60050ccc</uuid>
              <devices>
                <disk type='file' device='disk'>
                  <driver name='qemu' type='qcow2' cache='writeback'/>
                  <source file='/s/layers/frozen.qcow2'/>
                  <target dev='vda' bus='virtio'/>
                  <alias name='ua-data'/>
                </disk>
                <channel type='unix'>
                  <source mode='bind' path='/run/old/agent.sock'/>
                  <target type='virtio' name='org.hpcvirt.agent'/>
                </channel>
                <serial type='file'>
                  <source path='/run/old/console.log'/>
                  <target port='0'/>
                </serial>
                <console type='file'>
                  <source path='/run/old/console.log'/>
                  <target type='serial' port='0'/>
                </console>
              </devices>
              <qemu:commandline>
                <qemu:arg value='-chardev'/>
                <qemu:arg value='socket,id=gdb0,path=/run/old/gdb.sock,server=on,wait=off'/>
              </qemu:commandline>
            </domain>
            """;

    private static LaunchSpec spec(Path disk) {
        VmProfile p = new VmProfile("b", "libvirt", 1, 128L << 20, disk == null ? null : new VmProfile.Disk(64L << 20),
                VmProfile.Network.NONE, "default", Duration.ofMillis(200), Duration.ofSeconds(2), List.of(), "", null);
        return new LaunchSpec(p, Path.of("/run/new"), Path.of("/img/vmlinuz"), Path.of("/img/initramfs"), disk,
                Path.of("/s/state.bin"), true, null);
    }

    @Test
    void theChainOfADriveIsItsSourceAndBackingStoresTopFirst() {
        LibvirtDiskSnapshots.Disk d = LibvirtDiskSnapshots.diskOf(LIVE, "data");
        assertThat(d.target()).isEqualTo("vda");
        assertThat(d.chain()).containsExactly("/s/layers/top.qcow2", "/s/layers/frozen.qcow2", "/img/disk-base.ext4");
        assertThat(LibvirtDiskSnapshots.diskOf(LIVE, "scratch")).isNull();
    }

    @Test
    void aRestoreUsesTheNewOverlayAndRunDirectoryAndKeepsNameAndUuid() {
        String x = LibvirtRestore.retarget(SAVED, spec(Path.of("/s/layers/new.qcow2")));
        assertThat(x).contains("<source file=\"/s/layers/new.qcow2\"/>").doesNotContain("frozen.qcow2")
                .contains("/run/new/agent.sock").contains("path=\"/run/new/console.log\"")
                .contains("socket,id=gdb0,path=/run/new/gdb.sock,server=on,wait=off")
                .doesNotContain("/run/old")
                .contains("<name>hpcvirt-a</name>").contains("76947a29-71e8-4837-85d5-17cf60050ccc");
        assertThat(LibvirtDiskSnapshots.diskOf(x, "data").chain()).containsExactly("/s/layers/new.qcow2");
    }

    @Test
    void aDataDiskOnOneSideOnlyIsRefused() {
        assertThatThrownBy(() -> LibvirtRestore.retarget(SAVED, spec(null))).isInstanceOf(HpcvirtException.class)
                .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.INVALID_INPUT))
                .hasMessageContaining("saved domain has a data disk");
        String noDisk = SAVED.replaceAll("(?s)<disk .*?</disk>", "");
        assertThatThrownBy(() -> LibvirtRestore.retarget(noDisk, spec(Path.of("/s/n.qcow2")))).isInstanceOf(HpcvirtException.class)
                .hasMessageContaining("the saved domain none");
    }

    @Test
    void aSnapshotDiskElementNamesTheNewLayer() {
        assertThat(LibvirtDiskSnapshots.diskElement("vda", Path.of("/s/l&1.qcow2")))
                .isEqualTo("<disk name='vda' snapshot='external' type='file'><driver type='qcow2'/><source file='/s/l&amp;1.qcow2'/></disk>");
    }
}
