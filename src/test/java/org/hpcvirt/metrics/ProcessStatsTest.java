package org.hpcvirt.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daemon's own memory and CPU time from procfs. */
class ProcessStatsTest {
    @Test
    void readsVmRssAndUtimePlusStime(@TempDir Path proc) throws IOException {
        Files.writeString(proc.resolve("status"), "Name:\tjava\nVmPeak:\t  999 kB\nVmRSS:\t  123456 kB\nThreads:\t42\n");
        // a command name with spaces and parentheses must not shift the fields
        Files.writeString(proc.resolve("stat"), "4242 (java (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 42 0 "
                + "12345 1000000 30000\n");
        ProcessStats s = new ProcessStats(proc);
        assertThat(s.residentBytes()).isEqualTo(123456 * 1024.0);
        assertThat(s.cpuSeconds()).isEqualTo(3.25);
    }

    @Test
    void unreadableIsNaN(@TempDir Path proc) throws IOException {
        ProcessStats s = new ProcessStats(proc);
        assertThat(s.residentBytes()).isNaN();
        assertThat(s.cpuSeconds()).isNaN();
        Files.writeString(proc.resolve("stat"), "garbage");
        assertThat(s.cpuSeconds()).isNaN();
    }

    @Test
    void thisProcess() {
        ProcessStats s = new ProcessStats();
        assertThat(s.residentBytes()).isGreaterThan(1 << 20);
        assertThat(s.cpuSeconds()).isPositive();
    }
}
