package org.hpcvirt.profile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.hpcvirt.api.HpcvirtException;
import org.junit.jupiter.api.Test;

class HostLimitsTest {
    @Test
    void readsMemTotalInKibibytes() {
        String meminfo = "MemTotal:        8029876 kB\nMemFree:          123456 kB\nMemAvailable:    5000000 kB\n";
        assertThat(HostLimits.memTotal(meminfo)).isEqualTo(8029876L * 1024);
    }

    @Test
    void meminfoWithoutMemTotalIsAnError() {
        assertThatThrownBy(() -> HostLimits.memTotal("MemFree: 1 kB\n"))
                .isInstanceOf(HpcvirtException.class).hasMessageContaining("MemTotal");
    }

    @Test
    void detectsThisHost() {
        HostLimits here = HostLimits.detect();
        assertThat(here.cores()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(here.memoryBytes()).isGreaterThan(32L * 1024 * 1024);
    }

    @Test
    void rejectsImpossibleLimits() {
        assertThatThrownBy(() -> new HostLimits(0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new HostLimits(1, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
