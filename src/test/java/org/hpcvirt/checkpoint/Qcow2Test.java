package org.hpcvirt.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The overlays Qcow2 writes, checked by QEMU's own tools (qemu-img, qemu-io from qemu-utils). */
class Qcow2Test {
    @TempDir
    Path dir;

    private static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", cmd) + ": " + out).isZero();
        return out;
    }

    private Path rawBase(long size) throws Exception {
        Path base = dir.resolve("base.img");
        try (RandomAccessFile f = new RandomAccessFile(base.toFile(), "rw")) {
            f.setLength(size);
            f.seek(4096);
            f.write("from the base".getBytes(StandardCharsets.US_ASCII));
        }
        return base;
    }

    @Test
    void overlaysPassQemuImgCheckAndReadAndWriteThroughTheirChain() throws Exception {
        long size = 64L << 20;
        Path base = rawBase(size);
        List<Path> chain = new ArrayList<>();
        Path below = base;
        for (int i = 0; i < 3; i++) {
            Path l = dir.resolve("l" + i + ".qcow2");
            Qcow2.createOverlay(below, l, size);
            run("qemu-img", "check", l.toString());
            JsonNode info = Json.mapper().readTree(run("qemu-img", "info", "--output=json", l.toString()));
            assertThat(info.path("format").asText()).isEqualTo("qcow2");
            assertThat(info.path("virtual-size").asLong()).isEqualTo(size);
            assertThat(info.path("cluster-size").asLong()).isEqualTo(65536);
            assertThat(info.path("backing-filename").asText()).isEqualTo(below.toString());
            assertThat(info.path("backing-filename-format").asText()).isEqualTo(i == 0 ? "raw" : "qcow2");
            assertThat(Qcow2.backingOf(l)).isEqualTo(below);
            assertThat(Qcow2.virtualSize(l)).isEqualTo(size);
            chain.add(l);
            below = l;
        }
        Path top = chain.get(2);
        assertThat(Qcow2.chain(top)).containsExactly(base, chain.get(0), chain.get(1), top);
        // data from the base shows through two overlays; a write lands in the top and survives a check
        run("qemu-io", "-c", "read -P 0x66 4096 1", "-c", "write -P 0xab 1M 128k", "-c", "read -P 0xab 1M 128k", top.toString());
        run("qemu-img", "check", top.toString());
        run("qemu-io", "-r", "-c", "read -P 0xab 1M 128k", "-c", "read -P 0 2M 64k", top.toString());
    }

    @Test
    void largeDisksGetALargerL1AndOddSizesWork() throws Exception {
        Path base = rawBase(1 << 20);
        for (long size : new long[] {1L << 20, 5L << 40, (3L << 30) + 512}) {
            Path l = dir.resolve("big-" + size + ".qcow2");
            Qcow2.createOverlay(base, l, size);
            run("qemu-img", "check", l.toString());
            JsonNode info = Json.mapper().readTree(run("qemu-img", "info", "--output=json", l.toString()));
            assertThat(info.path("virtual-size").asLong()).isEqualTo(size);
        }
    }

    @Test
    void refusesToOverwriteAFile() throws Exception {
        Path base = rawBase(1 << 20);
        Path l = dir.resolve("l.qcow2");
        Qcow2.createOverlay(base, l, 1 << 20);
        assertThatThrownBy(() -> Qcow2.createOverlay(base, l, 1 << 20)).isInstanceOf(HpcvirtException.class)
                .hasMessageContaining(l.toString());
    }
}
