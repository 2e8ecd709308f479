package org.hpcvirt.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Builds real images from the host's kernel, busybox and gcc (no QEMU): reproducibility and manifest. */
class ImageBuilderTest {
    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8);

    @Test
    void initramfsIsByteIdenticalAcrossBuilds(@TempDir Path a, @TempDir Path b) throws Exception {
        new ImageBuilder(a).writeInitramfs(a.resolve("i.cpio.gz"), out);
        new ImageBuilder(b).writeInitramfs(b.resolve("i.cpio.gz"), out);
        assertThat(Files.size(a.resolve("i.cpio.gz"))).isGreaterThan(500_000);
        assertThat(Files.mismatch(a.resolve("i.cpio.gz"), b.resolve("i.cpio.gz"))).isEqualTo(-1L);
    }

    @Test
    void wholeImageIsReproducibleAndManifestDescribesIt(@TempDir Path a, @TempDir Path b) throws Exception {
        Image ia = new ImageBuilder(a).build("t1", false, out).image();
        Image ib = new ImageBuilder(b).build("t1", false, out).image();
        for (String f : new String[] {"vmlinuz", "initramfs.cpio.gz", "disk-base.ext4", ImageStore.MANIFEST}) {
            assertThat(Files.mismatch(ia.dir().resolve(f), ib.dir().resolve(f))).as(f).isEqualTo(-1L);
        }
        ImageManifest m = ia.manifest();
        assertThat(m.name()).isEqualTo("t1");
        assertThat(m.kernelVersion()).endsWith("-cloud-amd64");
        assertThat(m.files()).containsOnlyKeys("vmlinuz", "initramfs.cpio.gz", "disk-base.ext4");
        assertThat(m.files().get("disk-base.ext4").size()).isEqualTo(ImageBuilder.DISK_BASE_BYTES);
        assertThat(m.files().get("initramfs.cpio.gz").sha256()).isEqualTo(Sha256.of(ia.initramfs()));
        assertThat(m.agentSourceSha256()).isEqualTo(Sha256.of(ImageBuilder.resource(ImageBuilder.AGENT_RESOURCE)));
        assertThat(m.inputs()).containsKeys("busybox", "guest/init", "guest/agent/hpcvirt-agent.c",
                "kernel vmlinuz-" + m.kernelVersion(), "module virtio_console", "tool gcc");
        assertThat(new ImageStore(a).list()).extracting(Image::name).containsExactly("t1");
        // no temporary directories are left behind
        try (var s = Files.list(a)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("t1");
        }
    }

    @Test
    void upToDateImageIsNotRebuiltUnlessForced(@TempDir Path dir) throws Exception {
        ImageBuilder builder = new ImageBuilder(dir);
        assertThat(builder.build("x", false, out).rebuilt()).isTrue();
        assertThat(builder.build("x", false, out).rebuilt()).isFalse();
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("image 'x' is up to date");
        assertThat(builder.build("x", true, out).rebuilt()).isTrue();
        assertThat(new ImageStore(dir).get("x").manifest().name()).isEqualTo("x");
    }

    @Test
    void missingImageIsNotFoundWithAHint(@TempDir Path dir) {
        assertThatThrownBy(() -> new ImageStore(dir).get("nope"))
                .isInstanceOfSatisfying(HpcvirtException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND))
                .hasMessage("image 'nope' not found; run 'hpcvirt image build --name nope'");
    }

    @Test
    void missingKernelSaysWhatToInstall(@TempDir Path dir) {
        var host = new ImageBuilder.HostInputs(dir.resolve("boot"), dir.resolve("modules"), Path.of("/bin/busybox"));
        assertThatThrownBy(() -> new ImageBuilder(dir, host).build("k", false, out))
                .hasMessageContaining("install linux-image-cloud-amd64");
    }

    @Test
    void badNamesAreRejected(@TempDir Path dir) {
        assertThatThrownBy(() -> new ImageBuilder(dir).build("../etc", false, out))
                .isInstanceOfSatisfying(HpcvirtException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_INPUT));
    }

    @Test
    void versionsCompareNumerically() {
        assertThat(ImageBuilder.compareVersions("6.1.0-9-cloud-amd64", "6.1.0-56-cloud-amd64")).isNegative();
        assertThat(ImageBuilder.compareVersions("6.10.0-1-cloud-amd64", "6.1.0-56-cloud-amd64")).isPositive();
    }
}
