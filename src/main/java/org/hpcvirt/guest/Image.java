package org.hpcvirt.guest;

import java.nio.file.Path;

/**
 * A built golden image as found on disk by {@link ImageStore}: a directory holding the kernel,
 * the initramfs, the base data disk and the manifest. Immutable; the files belong to the store and
 * must not be modified (VMs use qcow2 overlays, see {@link ImageStore#createDataDisk}).
 *
 * @param name          image name
 * @param dir           the image directory
 * @param kernel        {@code vmlinuz}
 * @param initramfs     {@code initramfs.cpio.gz}
 * @param diskBase      {@code disk-base.ext4} (raw ext4, 1 GiB, sparse)
 * @param kernelVersion the kernel's release string
 * @param manifest      the parsed {@code manifest.json}
 */
public record Image(String name, Path dir, Path kernel, Path initramfs, Path diskBase, String kernelVersion,
                    ImageManifest manifest) {
}
