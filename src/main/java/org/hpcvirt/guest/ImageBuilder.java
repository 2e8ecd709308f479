package org.hpcvirt.guest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.hpcvirt.api.DirectoryTree;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/**
 * Builds a golden image into {@code <imagesDir>/<name>/}: {@code vmlinuz} (the newest installed
 * {@code *-cloud-amd64} kernel), {@code initramfs.cpio.gz} (busybox, the virtio/pvpanic modules,
 * {@code guest/init}, the agent compiled from {@code guest/agent/hpcvirt-agent.c}, the fault-injection
 * module {@code guest/kerncrash} built against the kernel's headers into
 * {@code /lib/modules/<version>/extra/kerncrash.ko} and the static workloads of {@code guest/workloads}
 * in {@code /sbin}),
 * {@code disk-base.ext4} (1 GiB sparse ext4) and {@code manifest.json}.
 *
 * <p>Reproducible: the same inputs give byte-identical files (sorted cpio with zero times and owners,
 * gzip header without time, mkfs with fixed UUID, hash seed and {@code E2FSPROGS_FAKE_TIME}). A build
 * whose inputs equal the manifest's is skipped unless forced. The image is assembled in a temporary
 * directory next to its final place and renamed into place, so a crash never leaves a half-built image
 * under the image's name.
 *
 * <p>Needs on the host: {@code linux-image-cloud-amd64}, {@code linux-headers-cloud-amd64} (for kerncrash),
 * {@code busybox-static}, {@code gcc} (with static libc), {@code make}, {@code binutils}, {@code e2fsprogs}. Not thread-safe for the same image name; different names may be built
 * concurrently.
 */
public final class ImageBuilder {
    /** Version of the build recipe; changing it makes every existing image out of date. */
    public static final String BUILDER_VERSION = "2";
    /** Image name used when none is given. */
    public static final String DEFAULT_NAME = "default";
    /** Size of the base data disk's file system. */
    public static final long DISK_BASE_BYTES = 1L << 30;
    /** Kernel modules put into the initramfs, in the order {@code /init} loads them. */
    public static final List<String> MODULES = List.of("virtio_ring", "virtio", "virtio_pci_legacy_dev",
            "virtio_pci_modern_dev", "virtio_pci", "virtio_console", "pvpanic", "pvpanic-pci", "virtio_blk",
            "failover", "net_failover", "virtio_net");

    static final String DISK_UUID = "6c1f1a8e-3b8f-4c52-9d0e-2f6f0a1b2c3d";
    static final String AGENT_RESOURCE = "/guest/agent/hpcvirt-agent.c";
    static final String INIT_RESOURCE = "/guest/init";
    /** Sources of the guest-kernel fault module (E-Zone 3), built with the image kernel's headers. */
    static final List<String> KERNCRASH_RESOURCES = List.of("/guest/kerncrash/kerncrash.c", "/guest/kerncrash/Kbuild");
    /** Guest workloads compiled static into {@code /sbin} (fault programs and known-answer workloads). */
    public static final List<String> WORKLOADS = List.of("hpcvirt-fault", "hpcvirt-checksum", "hpcvirt-kernels", "hpcvirt-shmring",
            "hpcvirt-noise");
    /** Where the kerncrash module lives in the guest, relative to {@code /lib/modules/<version>}. */
    public static final String KERNCRASH_MODULE = "extra/kerncrash.ko";
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");
    private static final Pattern CLOUD_KERNEL = Pattern.compile("vmlinuz-(\\d[\\w.+~-]*-cloud-amd64)");
    private static final Duration TOOL_TIMEOUT = Duration.ofMinutes(3);

    /**
     * Where the builder takes host inputs from; {@link #system()} in production, other roots in tests.
     *
     * @param bootDir     directory with {@code vmlinuz-<version>} ({@code /boot})
     * @param modulesRoot directory with {@code <version>/kernel/...} ({@code /lib/modules})
     * @param busybox     a static busybox binary
     */
    public record HostInputs(Path bootDir, Path modulesRoot, Path busybox) {
        /** The standard Debian locations. */
        public static HostInputs system() {
            return new HostInputs(Path.of("/boot"), Path.of("/lib/modules"), Path.of("/bin/busybox"));
        }
    }

    /**
     * What {@link #build} did.
     *
     * @param image   the image now in place
     * @param rebuilt false if the existing image was up to date and left alone
     */
    public record Outcome(Image image, boolean rebuilt) {
    }

    private final Path imagesDir;
    private final HostInputs host;
    private final ObjectMapper json = manifestMapper();

    /** A builder writing into {@code imagesDir} (created if missing) from the system's kernel and busybox. */
    public ImageBuilder(Path imagesDir) {
        this(imagesDir, HostInputs.system());
    }

    /** A builder writing into {@code imagesDir} from the given host inputs. */
    public ImageBuilder(Path imagesDir, HostInputs host) {
        this.imagesDir = imagesDir.toAbsolutePath();
        this.host = host;
    }

    static ObjectMapper manifestMapper() {
        return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
    }

    /** @throws HpcvirtException INVALID_INPUT if {@code name} is not a valid image name */
    public static void validateName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw HpcvirtException.invalid("image name '" + name
                    + "' is invalid (use lower-case letters, digits, '.', '_', '-'; at most 63 characters)");
        }
    }

    /**
     * Builds image {@code name} unless an up-to-date one exists (or always, with {@code force}).
     *
     * @param out where progress goes (bars if the JVM has a console, plain lines otherwise)
     * @throws HpcvirtException INVALID_INPUT for a bad name, OPERATION_FAILED when a host input or
     *                          tool is missing or fails (the message says what to install)
     */
    public Outcome build(String name, boolean force, PrintStream out) {
        validateName(name);
        BuildProgress progress = BuildProgress.forStdout(out);
        try {
            return doBuild(name, force, progress);
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "building image '" + name + "'", e);
        }
    }

    private Outcome doBuild(String name, boolean force, BuildProgress progress) throws IOException {
        String kernelVersion = newestCloudKernel();
        Path kernel = host.bootDir().resolve("vmlinuz-" + kernelVersion);
        byte[] agentSource = resource(AGENT_RESOURCE);
        byte[] initScript = resource(INIT_RESOURCE);
        Map<String, Path> modules = findModules(kernelVersion);
        SortedMap<String, String> inputs = inputs(kernel, modules, agentSource, initScript);
        inputs.putAll(extraInputs(kernelVersion));

        ImageStore store = new ImageStore(imagesDir);
        Path finalDir = imagesDir.resolve(name);
        if (!force && Files.isDirectory(finalDir)) {
            Optional<Image> existing = store.find(name);
            if (existing.isPresent() && existing.get().manifest().inputs().equals(inputs)
                    && filesMatchSizes(existing.get())) {
                progress.line("image '" + name + "' is up to date (" + finalDir + ")");
                return new Outcome(existing.get(), false);
            }
        }

        Files.createDirectories(imagesDir);
        Path tmp = Files.createTempDirectory(imagesDir, "." + name + ".tmp-");
        Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Path work = Files.createTempDirectory("hpcvirt-image-");
        try {
            progress.line("building image '" + name + "' with kernel " + kernelVersion + " in " + finalDir);
            Files.copy(kernel, tmp.resolve("vmlinuz"));
            Path agent = compileAgent(work, agentSource, progress);
            Path init = work.resolve("init");
            Files.write(init, initScript);
            Map<String, Path> extras = buildExtras(work, kernelVersion, progress);
            writeInitramfs(tmp.resolve("initramfs.cpio.gz"), kernelVersion, modules, init, agent, extras, progress);
            makeDiskBase(tmp.resolve("disk-base.ext4"), progress);

            SortedMap<String, ImageManifest.FileEntry> files = new TreeMap<>();
            List<Path> content;
            try (Stream<Path> s = Files.list(tmp)) {
                content = s.sorted().toList();
            }
            long total = 0;
            for (Path f : content) {
                total += Files.size(f);
            }
            try (BuildProgress.Step step = progress.step("checksums", total / (1 << 20), "MiB")) {
                for (Path f : content) {
                    long[] acc = {0};
                    String sha = Sha256.of(f, n -> {
                        acc[0] += n;
                        step.advance(acc[0] >> 20);
                        acc[0] &= (1 << 20) - 1;
                    });
                    files.put(f.getFileName().toString(), new ImageManifest.FileEntry(Files.size(f), sha));
                    fsync(f);
                }
            }
            ImageManifest manifest = new ImageManifest(ImageManifest.FORMAT, name, kernelVersion, BUILDER_VERSION,
                    Sha256.of(agentSource), inputs, files);
            Path manifestFile = tmp.resolve(ImageStore.MANIFEST);
            Files.write(manifestFile, json.writeValueAsBytes(manifest));
            fsync(manifestFile);
            fsync(tmp);
            moveIntoPlace(tmp, finalDir);
            tmp = null;
            progress.line("image '" + name + "' built: " + finalDir);
            return new Outcome(store.get(name), true);
        } finally {
            DirectoryTree.delete(work);
            if (tmp != null) {
                DirectoryTree.delete(tmp);
            }
        }
    }

    /** The newest {@code *-cloud-amd64} kernel that has both a vmlinuz and a modules directory. */
    String newestCloudKernel() throws IOException {
        List<String> versions = new ArrayList<>();
        if (Files.isDirectory(host.bootDir())) {
            try (Stream<Path> s = Files.list(host.bootDir())) {
                s.forEach(p -> {
                    var m = CLOUD_KERNEL.matcher(p.getFileName().toString());
                    if (m.matches() && Files.isDirectory(host.modulesRoot().resolve(m.group(1)))) {
                        versions.add(m.group(1));
                    }
                });
            }
        }
        return versions.stream().max(ImageBuilder::compareVersions).orElseThrow(() ->
                new HpcvirtException(ErrorCode.OPERATION_FAILED, "no *-cloud-amd64 kernel with modules in "
                        + host.bootDir() + " and " + host.modulesRoot() + ": install linux-image-cloud-amd64"));
    }

    /** Compares version strings numerically by runs of digits ({@code 6.1.0-9} before {@code 6.1.0-56}). */
    static int compareVersions(String a, String b) {
        String[] pa = a.split("(?<=\\d)(?=\\D)|(?<=\\D)(?=\\d)");
        String[] pb = b.split("(?<=\\d)(?=\\D)|(?<=\\D)(?=\\d)");
        for (int i = 0; i < Math.min(pa.length, pb.length); i++) {
            int c;
            if (Character.isDigit(pa[i].charAt(0)) && Character.isDigit(pb[i].charAt(0))) {
                c = new java.math.BigInteger(pa[i]).compareTo(new java.math.BigInteger(pb[i]));
            } else {
                c = pa[i].compareTo(pb[i]);
            }
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(pa.length, pb.length);
    }

    private Map<String, Path> findModules(String kernelVersion) throws IOException {
        Map<String, Path> found = new HashMap<>();
        try (Stream<Path> s = Files.walk(host.modulesRoot().resolve(kernelVersion).resolve("kernel"))) {
            s.filter(Files::isRegularFile).forEach(p -> {
                String f = p.getFileName().toString();
                if (f.endsWith(".ko") && MODULES.contains(f.substring(0, f.length() - 3))) {
                    found.putIfAbsent(f.substring(0, f.length() - 3), p);
                }
            });
        }
        List<String> missing = MODULES.stream().filter(m -> !found.containsKey(m)).toList();
        if (!missing.isEmpty()) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "kernel " + kernelVersion
                    + " lacks uncompressed modules " + missing + " under " + host.modulesRoot());
        }
        return found;
    }

    private SortedMap<String, String> inputs(Path kernel, Map<String, Path> modules, byte[] agentSource,
                                             byte[] initScript) throws IOException {
        SortedMap<String, String> in = new TreeMap<>();
        in.put("kernel " + kernel.getFileName(), Sha256.of(kernel));
        for (var e : modules.entrySet()) {
            in.put("module " + e.getKey(), Sha256.of(e.getValue()));
        }
        if (!Files.isRegularFile(host.busybox())) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, host.busybox()
                    + " not found: install busybox-static");
        }
        in.put("busybox", Sha256.of(host.busybox()));
        in.put("guest/agent/hpcvirt-agent.c", Sha256.of(agentSource));
        in.put("guest/init", Sha256.of(initScript));
        in.put("tool gcc", firstLine(HostProcess.run(List.of("gcc", "--version"), null, Map.of(), TOOL_TIMEOUT)));
        in.put("tool mkfs.ext4", firstLine(HostProcess.run(List.of(mkfs(), "-V"), null, Map.of(), TOOL_TIMEOUT)));
        in.put("recipe", "builder " + BUILDER_VERSION + ", disk " + DISK_BASE_BYTES + " bytes, uuid " + DISK_UUID);
        return in;
    }

    private static String firstLine(String s) {
        return s.strip().lines().findFirst().orElse("");
    }

    private static boolean filesMatchSizes(Image image) {
        for (var e : image.manifest().files().entrySet()) {
            Path f = image.dir().resolve(e.getKey());
            try {
                if (!Files.isRegularFile(f) || Files.size(f) != e.getValue().size()) {
                    return false;
                }
            } catch (IOException ex) {
                return false;
            }
        }
        return true;
    }

    static byte[] resource(String name) {
        try (InputStream in = ImageBuilder.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new HpcvirtException(ErrorCode.INTERNAL, "guest source " + name + " missing from the class path");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path compileAgent(Path work, byte[] source, BuildProgress progress) throws IOException {
        progress.line("compiling hpcvirt-agent");
        Files.write(work.resolve("hpcvirt-agent.c"), source);
        // Relative names and a fixed working directory keep temporary paths out of the binary.
        HostProcess.run(List.of("gcc", "-static", "-O2", "-Wall", "-Wextra", "-s", "-o", "hpcvirt-agent",
                "hpcvirt-agent.c"), work, Map.of(), TOOL_TIMEOUT);
        return work.resolve("hpcvirt-agent");
    }

    /** Hashes of the kerncrash and workload sources and of the kernel headers they are built against. */
    private SortedMap<String, String> extraInputs(String kernelVersion) throws IOException {
        SortedMap<String, String> in = new TreeMap<>();
        for (String r : KERNCRASH_RESOURCES) {
            in.put(r.substring(1), Sha256.of(resource(r)));
        }
        for (String w : WORKLOADS) {
            in.put("guest/workloads/" + w + ".c", Sha256.of(resource("/guest/workloads/" + w + ".c")));
        }
        Path symvers = headersDir(kernelVersion).resolve("Module.symvers");
        in.put("kernel headers", Files.isRegularFile(symvers) ? Sha256.of(symvers) : "missing");
        return in;
    }

    private Path headersDir(String kernelVersion) {
        return host.modulesRoot().resolve(kernelVersion).resolve("build");
    }

    /**
     * Builds kerncrash.ko against the image kernel's headers and compiles the workloads static. Returns
     * initramfs path → built file. The module is stripped of debug data and build id so that images stay
     * reproducible (both depend on the temporary build directory's name).
     */
    private Map<String, Path> buildExtras(Path work, String kernelVersion, BuildProgress progress) throws IOException {
        Map<String, Path> out = new TreeMap<>();
        Path headers = headersDir(kernelVersion);
        if (!Files.isDirectory(headers)) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "no kernel headers in " + headers
                    + " to build kerncrash: install linux-headers-cloud-amd64");
        }
        progress.line("building kerncrash.ko for " + kernelVersion);
        Path kc = work.resolve("kerncrash");
        Files.createDirectories(kc);
        for (String r : KERNCRASH_RESOURCES) {
            Files.write(kc.resolve(r.substring(r.lastIndexOf('/') + 1)), resource(r));
        }
        HostProcess.run(List.of("make", "-s", "-C", headers.toString(), "M=" + kc, "modules"), kc, Map.of(), TOOL_TIMEOUT);
        Path ko = work.resolve("kerncrash.ko");
        HostProcess.run(List.of("strip", "--strip-debug", "--remove-section=.note.gnu.build-id", "-o", ko.toString(),
                kc.resolve("kerncrash.ko").toString()), work, Map.of(), TOOL_TIMEOUT);
        out.put("lib/modules/" + kernelVersion + "/" + KERNCRASH_MODULE, ko);
        for (String w : WORKLOADS) {
            progress.line("compiling " + w);
            Files.write(work.resolve(w + ".c"), resource("/guest/workloads/" + w + ".c"));
            HostProcess.run(List.of("gcc", "-static", "-O2", "-Wall", "-Wextra", "-s", "-o", w, w + ".c"), work, Map.of(),
                    TOOL_TIMEOUT);
            out.put("sbin/" + w, work.resolve(w));
        }
        return out;
    }

    /** Writes the initramfs; package-private so that tests can check its reproducibility alone. */
    void writeInitramfs(Path target, String kernelVersion, Map<String, Path> modules, Path init, Path agent,
                        Map<String, Path> extras, BuildProgress progress) throws IOException {
        InitramfsWriter w = new InitramfsWriter();
        for (String d : List.of("bin", "sbin", "proc", "sys", "dev", "data", "tmp", "etc", "root", "lib",
                "lib/modules", "lib/modules/" + kernelVersion, "lib/modules/" + kernelVersion + "/extra")) {
            w.dir(d);
        }
        w.charDevice("dev/console", 5, 1, 0600);
        w.charDevice("dev/null", 1, 3, 0666);
        w.file("bin/busybox", host.busybox(), 0755);
        String applets = HostProcess.run(List.of(host.busybox().toString(), "--list"), null, Map.of(), TOOL_TIMEOUT);
        for (String applet : applets.lines().map(String::strip).filter(a -> !a.isEmpty()).sorted().toList()) {
            if (!applet.equals("busybox") && applet.matches("[\\w.\\[\\]-]+")) {
                w.symlink("bin/" + applet, "busybox");
            }
        }
        w.file("init", init, 0755);
        w.file("sbin/hpcvirt-agent", agent, 0755);
        for (var e : extras.entrySet()) {
            w.file(e.getKey(), e.getValue(), e.getKey().endsWith(".ko") ? 0644 : 0755);
        }
        try (BuildProgress.Step step = progress.step("modules", modules.size(), "modules")) {
            for (String m : MODULES) {
                w.file("lib/modules/" + kernelVersion + "/" + m + ".ko", modules.get(m), 0644);
                step.advance(1);
            }
        }
        try (BuildProgress.Step step = progress.step("initramfs", w.size(), "entries")) {
            w.write(target, () -> step.advance(1));
        }
    }

    /** Builds the initramfs of the current inputs into {@code target} (used by tests). */
    void writeInitramfs(Path target, PrintStream out) throws IOException {
        String kernelVersion = newestCloudKernel();
        Path work = Files.createTempDirectory("hpcvirt-initramfs-");
        try {
            Path agent = compileAgent(work, resource(AGENT_RESOURCE), BuildProgress.forStdout(out));
            Path init = work.resolve("init");
            Files.write(init, resource(INIT_RESOURCE));
            writeInitramfs(target, kernelVersion, findModules(kernelVersion), init, agent,
                    buildExtras(work, kernelVersion, BuildProgress.forStdout(out)), BuildProgress.forStdout(out));
        } finally {
            DirectoryTree.delete(work);
        }
    }

    private static void makeDiskBase(Path target, BuildProgress progress) throws IOException {
        try (BuildProgress.Step step = progress.step("mkfs.ext4", 1, "disk")) {
            try (RandomAccessFile f = new RandomAccessFile(target.toFile(), "rw")) {
                f.setLength(DISK_BASE_BYTES); // sparse
            }
            HostProcess.run(List.of(mkfs(), "-q", "-F", "-L", "data", "-U", DISK_UUID,
                            "-E", "root_owner=0:0,hash_seed=" + DISK_UUID, target.toString()),
                    null, Map.of("E2FSPROGS_FAKE_TIME", "1"), TOOL_TIMEOUT);
            step.advance(1);
        }
    }

    private static String mkfs() {
        for (String p : List.of("/usr/sbin/mkfs.ext4", "/sbin/mkfs.ext4")) {
            if (Files.isExecutable(Path.of(p))) {
                return p;
            }
        }
        return "mkfs.ext4"; // from PATH; a missing tool is reported by HostProcess
    }

    private void moveIntoPlace(Path tmp, Path finalDir) throws IOException {
        Path old = null;
        if (Files.exists(finalDir)) {
            old = Files.createTempDirectory(imagesDir, "." + finalDir.getFileName() + ".old-");
            Files.delete(old);
            Files.move(finalDir, old, StandardCopyOption.ATOMIC_MOVE);
        }
        try {
            Files.move(tmp, finalDir, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot move the new image into " + finalDir
                    + " (another build of the same name?)", e);
        } finally {
            if (old != null) {
                DirectoryTree.delete(old);
            }
        }
    }

    private static void fsync(Path p) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

}
