package org.hpcvirt.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class UnitsTest {
    @Test
    void durations() {
        assertThat(Durations.parse("500ms", "x")).isEqualTo(Duration.ofMillis(500));
        assertThat(Durations.parse("90s", "x")).isEqualTo(Duration.ofSeconds(90));
        assertThat(Durations.parse("10m", "x")).isEqualTo(Duration.ofMinutes(10));
        assertThat(Durations.parse("1.5h", "x")).isEqualTo(Duration.ofMinutes(90));
        assertThat(Durations.parse("125y", "x")).isEqualTo(Duration.ofDays(125 * 365));
        assertThatThrownBy(() -> Durations.parse("10", "--mtbf")).hasMessageContaining("--mtbf").hasMessageContaining("'10'");
        assertThatThrownBy(() -> Durations.parse("5 parsecs", "x")).isInstanceOf(HpcvirtException.class);
    }

    @Test
    void sizes() {
        assertThat(DataSize.parse("128M", "memory")).isEqualTo(128L << 20);
        assertThat(DataSize.parse("128MiB", "memory")).isEqualTo(128L << 20);
        assertThat(DataSize.parse("1G", "memory")).isEqualTo(1L << 30);
        assertThat(DataSize.parse("2GB", "memory")).isEqualTo(2_000_000_000L);
        assertThat(DataSize.parse("512k", "memory")).isEqualTo(512L << 10);
        assertThatThrownBy(() -> DataSize.parse("12X", "memory")).hasMessageContaining("memory").hasMessageContaining("12X");
        assertThatThrownBy(() -> DataSize.parse("128", "memory")).isInstanceOf(HpcvirtException.class);
        assertThat(DataSize.format(128L << 20)).isEqualTo("128M");
        assertThat(DataSize.format(1L << 30)).isEqualTo("1G");
    }
}
