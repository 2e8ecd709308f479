package org.hpcvirt.guest;
// TEMPORARY STUB
import java.nio.file.Path;
public record Image(String name, Path dir, Path kernel, Path initramfs, Path diskBase, String kernelVersion) { }
