package org.hpcvirt.guest;
// TEMPORARY STUB
import java.nio.file.Path;
public final class ImageStore {
    public ImageStore(Path dir) { }
    public Image get(String name) { throw new UnsupportedOperationException(); }
    public java.util.List<Image> list() { return java.util.List.of(); }
    public Path createDataDisk(Image image, Path target, long sizeBytes) { throw new UnsupportedOperationException(); }
}
