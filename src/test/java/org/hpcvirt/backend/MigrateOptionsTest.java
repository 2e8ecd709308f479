package org.hpcvirt.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.hpcvirt.api.HpcvirtException;
import org.junit.jupiter.api.Test;

class MigrateOptionsTest {
    @Test
    void channelsDefaultToOneAndMustBeOneToSixteen() {
        Duration d = Duration.ofMillis(10);
        assertThat(new Migratable.MigrateOptions(d, 0, d).channels()).isEqualTo(1);
        assertThat(new Migratable.MigrateOptions(d, 0, d, 1).channels()).isEqualTo(1);
        assertThat(new Migratable.MigrateOptions(d, 0, d, 16).channels()).isEqualTo(16);
        for (int bad : new int[] {0, -1, 17}) {
            assertThatThrownBy(() -> new Migratable.MigrateOptions(d, 0, d, bad)).isInstanceOf(HpcvirtException.class)
                    .hasMessageContaining("channels").hasMessageContaining(Integer.toString(bad));
        }
    }
}
