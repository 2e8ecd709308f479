package org.hpcvirt.ft.live;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostSensorsTest {
    @TempDir
    Path sys;

    private void write(String rel, String value) throws Exception {
        Path f = sys.resolve(rel);
        Files.createDirectories(f.getParent());
        Files.writeString(f, value + "\n");
    }

    @Test
    void aHostWithoutSensorsReadsEmptyAndNeverAlarms() {
        HostSensors s = new HostSensors(sys, HostSensors.Thresholds.defaults());
        HostSensors.Reading r = s.read();
        assertThat(r.temperaturesC()).isEmpty();
        assertThat(s.alarm(r, s.read())).isEmpty();
    }

    @Test
    void hotSensorRaisesAnAlarm() throws Exception {
        write("class/hwmon/hwmon0/temp1_input", "45000");
        write("class/hwmon/hwmon1/temp1_input", "91500");
        write("class/hwmon/hwmon1/temp2_input", "garbage");
        HostSensors s = new HostSensors(sys, HostSensors.Thresholds.defaults());
        HostSensors.Reading r = s.read();
        assertThat(r.temperaturesC()).containsExactly(45.0, 91.5);
        assertThat(s.alarm(null, r)).hasValueSatisfying(m -> assertThat(m).contains("91.5 °C"));
    }

    @Test
    void correctedErrorBurstAndUncorrectedErrorsRaiseAlarms() throws Exception {
        write("devices/system/edac/mc/mc0/ce_count", "3");
        write("devices/system/edac/mc/mc0/ue_count", "0");
        HostSensors s = new HostSensors(sys, new HostSensors.Thresholds(90, 10));
        HostSensors.Reading before = s.read();
        write("devices/system/edac/mc/mc0/ce_count", "12");
        assertThat(s.alarm(before, s.read())).isEmpty();
        write("devices/system/edac/mc/mc0/ce_count", "13");
        assertThat(s.alarm(before, s.read())).hasValueSatisfying(m -> assertThat(m).contains("rose by 10"));
        write("devices/system/edac/mc/mc0/ce_count", "3");
        write("devices/system/edac/mc/mc0/ue_count", "1");
        assertThat(s.alarm(before, s.read())).hasValueSatisfying(m -> assertThat(m).contains("uncorrected"));
    }

    @Test
    void thresholdsAreValidated() {
        assertThatThrownBy(() -> new HostSensors.Thresholds(0, 10)).hasMessageContaining("temperature");
        assertThatThrownBy(() -> new HostSensors.Thresholds(90, 0)).hasMessageContaining("burst");
    }
}
