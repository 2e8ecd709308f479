package org.hpcvirt.backend.libvirt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.junit.jupiter.api.Test;

/** The URI a libvirt migration destination hands to the source: how it is made from the listen address, written and read. */
class LibvirtMigrationTargetTest {
    @Test
    void theListenAddressNamesTheDestinationsLibvirtdAndMigrationHost() {
        LibvirtMigrationTarget t = LibvirtMigrationTarget.listeningOn("tcp:10.200.70.2:0", Path.of("/tmp/n2/run/vm"));
        assertThat(t.libvirtUri()).isEqualTo("qemu+tcp://10.200.70.2:16509/system");
        assertThat(t.migrateUri()).isEqualTo("tcp://10.200.70.2");
        assertThat(t.format()).isEqualTo("libvirt:qemu+tcp://10.200.70.2:16509/system;migrate=tcp://10.200.70.2;run=/tmp/n2/run/vm");
        assertThat(LibvirtMigrationTarget.parse(t.format())).isEqualTo(t);
    }

    @Test
    void aQemuUriOrGarbageIsRefusedWithTheText() {
        for (String bad : new String[] {"tcp:10.0.0.1:4444", "libvirt:qemu+tcp://h/system", "libvirt:qemu+tcp://h/system;migrate=tcp://h;run=rel"}) {
            assertThatThrownBy(() -> LibvirtMigrationTarget.parse(bad)).isInstanceOf(HpcvirtException.class)
                    .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.INVALID_INPUT))
                    .hasMessageContaining("'" + bad + "'").hasMessageContaining("the destination must run the libvirt backend");
        }
        assertThatThrownBy(() -> LibvirtMigrationTarget.listeningOn("unix:/x", Path.of("/r"))).isInstanceOf(HpcvirtException.class)
                .hasMessageContaining("'unix:/x' is not tcp:HOST:PORT");
    }

    @Test
    void theHostUuidIsReadFromTheCapabilities() {
        String caps = "<capabilities>\n  <host>\n    <uuid>49f6f24d-7da7-447e-b3c7-0c6b6c1d70c9</uuid>\n    <cpu/>\n  </host>\n"
                + "  <guest><uuid>not-this</uuid></guest>\n</capabilities>";
        assertThat(LibvirtMigrationTarget.hostUuid(caps)).isEqualTo("49f6f24d-7da7-447e-b3c7-0c6b6c1d70c9");
        assertThat(LibvirtMigrationTarget.hostUuid("<capabilities/>")).isNull();
    }
}
