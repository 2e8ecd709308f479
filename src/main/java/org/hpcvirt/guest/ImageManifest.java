package org.hpcvirt.guest;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The {@code manifest.json} of a golden image: what it was built from and what it contains.
 * Maps are sorted so that the same build always writes the same bytes.
 *
 * @param format        manifest format version ({@link #FORMAT})
 * @param name          image name
 * @param kernelVersion {@code uname -r} of the kernel inside
 * @param builderVersion version of {@link ImageBuilder}'s recipe; a new recipe rebuilds images
 * @param agentSourceSha256 SHA-256 of {@code guest/agent/hpcvirt-agent.c} compiled into the image
 * @param inputs        every input (kernel, modules, busybox, init, agent source, tools) and its SHA-256;
 *                      the image is up to date when these equal the current inputs
 * @param files         every file of the image by name, with size and SHA-256
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public record ImageManifest(int format, String name, String kernelVersion, String builderVersion,
                            String agentSourceSha256, SortedMap<String, String> inputs,
                            SortedMap<String, FileEntry> files) {
    /** The manifest format this code writes and reads. */
    public static final int FORMAT = 1;

    public ImageManifest {
        inputs = new TreeMap<>(inputs);
        files = new TreeMap<>(files);
    }

    /** Size and SHA-256 (lower-case hex) of one image file. */
    public record FileEntry(long size, String sha256) {
    }
}
