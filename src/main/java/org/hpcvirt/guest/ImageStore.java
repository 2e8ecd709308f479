package org.hpcvirt.guest;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/**
 * The golden images in one directory ({@code $HPCVIRT_HOME/images}): each image is a sub-directory
 * with a {@code manifest.json}. Directories being built (hidden, {@code .name.tmp-*}) are never listed.
 * Read-only except {@link #createDataDisk}, which writes outside the store. Thread-safe (stateless).
 */
public final class ImageStore {
    /** The manifest's file name inside an image directory. */
    public static final String MANIFEST = "manifest.json";

    private final Path imagesDir;
    private final ObjectMapper json = ImageBuilder.manifestMapper();

    /** A store over {@code imagesDir}, which need not exist yet (then it is empty). */
    public ImageStore(Path imagesDir) {
        this.imagesDir = imagesDir.toAbsolutePath();
    }

    /** The directory this store reads. */
    public Path dir() {
        return imagesDir;
    }

    /** All complete images, sorted by name. Directories with a missing or unreadable manifest are skipped. */
    public List<Image> list() {
        List<Image> images = new ArrayList<>();
        if (!Files.isDirectory(imagesDir)) {
            return images;
        }
        try (Stream<Path> s = Files.list(imagesDir)) {
            for (Path d : s.sorted().toList()) {
                String name = d.getFileName().toString();
                if (!name.startsWith(".") && Files.isRegularFile(d.resolve(MANIFEST))) {
                    try {
                        images.add(load(name));
                    } catch (HpcvirtException e) {
                        // A damaged image is not listed; get(name) reports why.
                    }
                }
            }
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot list " + imagesDir, e);
        }
        return images;
    }

    /**
     * The image called {@code name}.
     *
     * @throws HpcvirtException NOT_FOUND if there is none; OPERATION_FAILED if its manifest is damaged
     */
    public Image get(String name) {
        return find(name).orElseThrow(() -> new HpcvirtException(ErrorCode.NOT_FOUND,
                "image '" + name + "' not found; run 'hpcvirt image build --name " + name + "'"));
    }

    /** The image called {@code name}, or empty if it does not exist. */
    public Optional<Image> find(String name) {
        ImageBuilder.validateName(name);
        if (!Files.isRegularFile(imagesDir.resolve(name).resolve(MANIFEST))) {
            return Optional.empty();
        }
        return Optional.of(load(name));
    }

    private Image load(String name) {
        Path dir = imagesDir.resolve(name);
        ImageManifest m;
        try {
            m = json.readValue(dir.resolve(MANIFEST).toFile(), ImageManifest.class);
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "image '" + name + "': unreadable manifest", e);
        }
        if (m.format() != ImageManifest.FORMAT || !name.equals(m.name())) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "image '" + name
                    + "': manifest has format " + m.format() + " and name '" + m.name() + "'");
        }
        return new Image(name, dir, dir.resolve("vmlinuz"), dir.resolve("initramfs.cpio.gz"),
                dir.resolve("disk-base.ext4"), m.kernelVersion(), m);
    }

    /**
     * Creates a per-VM data disk: a qcow2 overlay at {@code target} whose backing file is the image's
     * {@code disk-base.ext4} (by absolute path, so the image must stay where it is while the VM exists).
     *
     * <p>Size policy: the guest file system is always the base's 1 GiB ext4. The disk's virtual size is
     * {@code max(sizeBytes, base size)}: a smaller request is rounded up (a disk smaller than its file
     * system would not mount), a larger one leaves unused space after the file system for the guest to
     * grow into. Either way the overlay is sparse: only clusters the guest writes use host space.
     *
     * @param sizeBytes requested virtual size in bytes, &gt; 0
     * @return {@code target}
     * @throws HpcvirtException INVALID_INPUT for a non-positive size, ALREADY_EXISTS if {@code target}
     *                          exists, OPERATION_FAILED if qemu-img fails
     */
    public Path createDataDisk(Image image, Path target, long sizeBytes) {
        if (sizeBytes <= 0) {
            throw HpcvirtException.invalid("data disk size must be positive, not " + sizeBytes);
        }
        if (Files.exists(target)) {
            throw new HpcvirtException(ErrorCode.ALREADY_EXISTS, "data disk " + target + " exists already");
        }
        long base;
        try {
            base = Files.size(image.diskBase());
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "image '" + image.name() + "' has no base disk", e);
        }
        long size = Math.max(sizeBytes, base);
        HostProcess.run(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b",
                image.diskBase().toAbsolutePath().toString(), target.toAbsolutePath().toString(),
                Long.toString(size)), null, Map.of(), Duration.ofMinutes(1));
        return target;
    }
}
