package org.hpcvirt.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.vm.VmService;
import org.junit.jupiter.api.Test;

/** Settings the daemon reads from its environment. */
class DaemonSettingsTest {
    @Test
    void maxDiskLayersDefaultsAndIsValidatedNamingTheVariable() {
        assertThat(Daemon.maxDiskLayers(null)).isEqualTo(VmService.DEFAULT_MAX_DISK_LAYERS);
        assertThat(Daemon.maxDiskLayers(" ")).isEqualTo(VmService.DEFAULT_MAX_DISK_LAYERS);
        assertThat(Daemon.maxDiskLayers(" 3 ")).isEqualTo(3);
        for (String bad : new String[] {"abc", "0", "-2", "10001", "1.5"}) {
            assertThatThrownBy(() -> Daemon.maxDiskLayers(bad)).as(bad).isInstanceOf(HpcvirtException.class)
                    .hasMessageContaining("HPCVIRT_MAX_DISK_LAYERS")
                    .satisfies(e -> assertThat(((HpcvirtException) e).code()).isEqualTo(ErrorCode.INVALID_INPUT));
        }
    }
}
