package org.hpcvirt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.HpcvirtHome;
import org.hpcvirt.guest.Image;
import org.hpcvirt.guest.ImageBuilder;
import org.hpcvirt.guest.ImageManifest;
import org.hpcvirt.guest.ImageStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code hpcvirt image build|list}: golden images under {@code $HPCVIRT_HOME/images}. */
@Command(name = "image", description = "Build and list golden images.",
        subcommands = {ImageCommand.Build.class, ImageCommand.ListImages.class})
public final class ImageCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code hpcvirt image build [--name N] [--force]}. */
    @Command(name = "build", description = "Build a golden image (skipped when up to date).")
    static final class Build implements Runnable {
        @Spec
        CommandSpec spec;

        @Option(names = "--name", defaultValue = ImageBuilder.DEFAULT_NAME, description = "Image name (default: ${DEFAULT-VALUE}).")
        String name;

        @Option(names = "--force", description = "Rebuild even if the image is up to date.")
        boolean force;

        @Override
        public void run() {
            ImageBuilder.Outcome o = new ImageBuilder(HpcvirtHome.images()).build(name, force, System.out);
            if (o.rebuilt()) {
                PrintWriter out = spec.commandLine().getOut();
                o.image().manifest().files().forEach((file, e) ->
                        out.printf("  %-20s %12d bytes  sha256 %s%n", file, e.size(), e.sha256()));
                out.flush();
            }
        }
    }

    /** {@code hpcvirt image list [--json]}. */
    @Command(name = "list", description = "List golden images.")
    static final class ListImages implements Runnable {
        @Spec
        CommandSpec spec;

        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Override
        public void run() {
            ImageStore store = new ImageStore(HpcvirtHome.images());
            List<Image> images = store.list();
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                List<Map<String, Object>> rows = images.stream().map(ImageCommand::row).toList();
                try {
                    out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(rows));
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new HpcvirtException(ErrorCode.INTERNAL, "cannot print JSON", e);
                }
            } else if (images.isEmpty()) {
                out.println("no images in " + store.dir() + "; run 'hpcvirt image build'");
            } else {
                out.printf("%-16s %-24s %-10s %s%n", "NAME", "KERNEL", "INITRAMFS", "DIR");
                for (Image i : images) {
                    out.printf("%-16s %-24s %-10s %s%n", i.name(), i.kernelVersion(),
                            mib(i.manifest().files().get("initramfs.cpio.gz")), i.dir());
                }
            }
            out.flush();
        }
    }

    private static String mib(ImageManifest.FileEntry e) {
        return e == null ? "-" : String.format(java.util.Locale.ROOT, "%.1fM", e.size() / 1048576.0);
    }

    private static Map<String, Object> row(Image i) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", i.name());
        m.put("kernelVersion", i.kernelVersion());
        m.put("dir", i.dir().toString());
        m.put("builderVersion", i.manifest().builderVersion());
        m.put("files", i.manifest().files());
        return m;
    }
}
