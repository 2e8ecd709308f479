package org.hpcvirt.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.hpcvirt.api.DirectoryTree;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.VmState;
import org.hpcvirt.backend.qemu.QemuCommandLine;
import org.hpcvirt.daemon.DaemonClient;
import org.hpcvirt.guest.Image;
import org.hpcvirt.guest.ImageStore;
import org.hpcvirt.profile.HostLimits;
import org.hpcvirt.profile.ProfileLoader;
import org.hpcvirt.profile.VmProfile;
import org.hpcvirt.vm.NodeLayout;
import org.hpcvirt.vm.VmStatus;

/**
 * What the node daemon costs the host while its VMs are idle, side by side with libvirtd managing
 * the same number of idle domains of the same shape. Each configuration in turn: a real daemon
 * started as users get it ({@link DaemonClient#spawnDaemon}, a separate JVM with the product's JVM
 * options, or with the options of {@code --jvm-opts} for a comparison) in a temporary
 * {@code HPCVIRT_HOME}, N VMs (1 vCPU, {@value #MEMORY}, a {@value #DISK} data disk) started and
 * awaited until every one is RUNNING with heartbeats; then, after a settling time, the daemon
 * process alone (not its QEMUs) is read from /proc ({@link ProcFootprint}) at the start and the end
 * of a window and every second between: RSS and PSS at the end, the largest RSS seen, CPU as
 * utime+stime over the window. Then libvirt ({@code bench/libvirt-setup.sh}) with N transient
 * {@code <domain type='qemu'>} of the same kernel, initramfs, kernel command line and data-disk
 * overlay, each awaited until its agent sends a heartbeat, measured the same way (libvirtd, and
 * virtlogd apart). Every VM, domain, daemon and directory the run made is removed at the end, also
 * on failure or Ctrl-C ({@link BenchCleanup}).
 */
public final class FootprintBenchmark {
    /** The goal for the daemon's resident set with the default 8 idle VMs. */
    public static final long GOAL_RSS_MIB = 150;
    /** The goal for the daemon's CPU with the default 8 idle VMs, in percent of one core. */
    public static final double GOAL_CPU_PERCENT = 1.0;
    /** The least memory the default image boots with: at 72M its kernel panics ("System is deadlocked on memory"). */
    static final String MEMORY = "80M";
    static final String DISK = "64M";
    private static final Duration BOOT = Duration.ofSeconds(300);

    private final int vms;
    private final int seconds;
    private final int settle;
    private final List<List<String>> jvmOptionSets;
    private final Path libvirtScript;
    private final PrintWriter out;

    /** A measured process, or why there is none. */
    private record Column(String label, ProcFootprint end, long maxRssKiB, double cpuPercent, String unavailable) {
        static Column missing(String label, String reason) {
            return new Column(label, null, 0, Double.NaN, reason);
        }
    }

    /** The JVM options of each measured daemon, by its column's label. */
    private final Map<String, List<String>> options = new LinkedHashMap<>();

    /**
     * @param jvmOptionSets further daemon configurations to measure beside the product's, each a
     *                      list of JVM options in place of the product's
     * @param libvirtScript {@code bench/libvirt-setup.sh}, or null to leave libvirt out
     * @throws HpcvirtException INVALID_INPUT for a number out of range or an empty option set
     */
    public FootprintBenchmark(int vms, int seconds, int settle, List<List<String>> jvmOptionSets, Path libvirtScript,
            PrintWriter out) {
        if (vms < 1 || vms > 32) {
            throw HpcvirtException.invalid("--vms must be between 1 and 32, not " + vms);
        }
        if (seconds < 1 || seconds > 3600) {
            throw HpcvirtException.invalid("--seconds must be between 1 and 3600, not " + seconds);
        }
        if (settle < 0 || settle > 3600) {
            throw HpcvirtException.invalid("--settle must be between 0 and 3600, not " + settle);
        }
        if (jvmOptionSets.stream().anyMatch(List::isEmpty)) {
            throw HpcvirtException.invalid("--jvm-opts needs at least one option");
        }
        this.vms = vms;
        this.seconds = seconds;
        this.settle = settle;
        this.jvmOptionSets = List.copyOf(jvmOptionSets);
        this.libvirtScript = libvirtScript;
        this.out = out;
    }

    /** Runs the benchmark on image {@code imageName} of {@code imagesDir}; returns {RSS MiB, CPU %} of the product's daemon. */
    public double[] run(Path imagesDir, String imageName) throws IOException {
        Image image = new ImageStore(imagesDir).get(imageName);
        String yaml = "name: %s\nbackend: qemu\ncpus: 1\nmemory: " + MEMORY + "\nimage: " + imageName + "\ndisk:\n  size: " + DISK + "\n";
        List<Column> cols = new ArrayList<>();
        try (BenchCleanup cleanup = new BenchCleanup(out)) {
            Path lvDir = Files.createTempDirectory(Path.of("/tmp"), "hvfplv");
            cleanup.push("delete " + lvDir, () -> DirectoryTree.deleteQuietly(lvDir));
            Path lvState = lvDir.resolve("libvirt.state");
            boolean runnable = libvirtScript == null || Files.isExecutable(libvirtScript);
            String lvReason = runnable ? LibvirtHost.up(libvirtScript, lvState) : "no executable " + libvirtScript;
            if (libvirtScript != null && runnable) {
                cleanup.push("libvirt-setup.sh down", () -> LibvirtHost.down(libvirtScript, lvState));
            }
            out.printf("footprint benchmark: %d idle VMs (1 vCPU, %s, %s data disk, image %s) per daemon; %d s settling, then a %d s"
                    + " window; the daemon process only, not its QEMUs; load average %s%n", vms, MEMORY, DISK, imageName, settle,
                    seconds, BenchHost.loadAverage());
            out.flush();
            cols.add(hpcvirt(cleanup, imagesDir, yaml, "hpcvirtd (product options)", DaemonClient.daemonJvmOptions(), true));
            for (int i = 0; i < jvmOptionSets.size(); i++) {
                cols.add(hpcvirt(cleanup, imagesDir, yaml, "hpcvirtd (--jvm-opts " + (i + 1) + ")", jvmOptionSets.get(i), false));
            }
            if (lvReason == null) {
                try {
                    cols.addAll(libvirt(cleanup, image, new ProfileLoader(HostLimits.detect()).parse(yaml.formatted("fp"), "fp.yaml"),
                            lvDir));
                } catch (RuntimeException e) {
                    lvReason = HpcvirtException.chain(e);
                }
            }
            if (lvReason != null) {
                cols.add(Column.missing("libvirtd", lvReason));
            }
        }
        return report(cols);
    }

    /** One daemon with {@code jvmOptions} ({@code product}: spawned exactly as users get it) and its VMs, measured; all removed after. */
    private Column hpcvirt(BenchCleanup cleanup, Path imagesDir, String yaml, String label, List<String> jvmOptions, boolean product) {
        NodeLayout layout = NodeLayout.temporary("hvfp", imagesDir);
        AtomicLong pid = new AtomicLong(-1);
        BenchCleanup mine = new BenchCleanup(out);
        mine.push("delete " + layout.home(), () -> DirectoryTree.deleteQuietly(layout.home()));
        mine.push("stop hpcvirtd in " + layout.home(), () -> stopDaemon(layout, pid.get()));
        cleanup.push("the daemon in " + layout.home(), mine::runAll);
        try {
            pid.set(product ? DaemonClient.spawnDaemon(layout) : DaemonClient.spawnDaemon(layout, Map.of(), jvmOptions));
            String name = label;
            options.put(label, jvmOptions);
            out.printf("%s: pid %d in %s, JVM options %s; starting %d VMs%n", name, pid.get(), layout.home(), String.join(" ", jvmOptions),
                    vms);
            out.flush();
            Map<String, Long> seqs;
            try (DaemonClient c = new DaemonClient(layout.daemonSocket())) {
                for (int i = 1; i <= vms; i++) {
                    c.define(yaml.formatted("fp" + i), "fp" + i + ".yaml");
                    c.start("fp" + i, false, BOOT);
                }
                long t0 = System.nanoTime();
                seqs = awaitHeartbeats(c, 1);
                out.printf("  all %d RUNNING with heartbeats after %.1f s%n", vms, (System.nanoTime() - t0) / 1e9);
                out.flush();
            }
            Column col = measure(Map.of(name, pid.get())).get(0);
            try (DaemonClient c = new DaemonClient(layout.daemonSocket())) {
                // idle, not dead: every guest still sends heartbeats at the end of the window
                for (VmStatus s : c.list()) {
                    if (s.state() != VmState.RUNNING || s.lastHeartbeatSeq() <= seqs.get(s.name())) {
                        throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "VM " + s.name() + " is " + s.state()
                                + " with heartbeat " + s.lastHeartbeatSeq() + " after the window (" + seqs.get(s.name())
                                + " before it)");
                    }
                }
            }
            return col;
        } finally {
            mine.close();
        }
    }

    /** Polls until every VM is RUNNING with a heartbeat sequence ≥ {@code least}; returns each one's sequence then. */
    private Map<String, Long> awaitHeartbeats(DaemonClient c, long least) {
        long deadline = System.nanoTime() + BOOT.toNanos();
        while (true) {
            List<VmStatus> list = c.list();
            Map<String, Long> seqs = new LinkedHashMap<>();
            for (VmStatus s : list) {
                if (s.state() != VmState.RUNNING && s.state() != VmState.STARTING) {
                    throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "VM " + s.name() + " became " + s.state() + " while booting");
                }
                if (s.state() == VmState.RUNNING && s.lastHeartbeatSeq() >= least) {
                    seqs.put(s.name(), s.lastHeartbeatSeq());
                }
            }
            if (seqs.size() == vms) {
                return seqs;
            }
            if (System.nanoTime() > deadline) {
                throw new HpcvirtException(ErrorCode.TIMEOUT, (vms - seqs.size()) + " of " + vms + " VMs sent no heartbeat within "
                        + BOOT.toSeconds() + " s");
            }
            LockSupport.parkNanos(500_000_000L);
        }
    }

    /** Destroys the VMs, stops the daemon, and kills whatever of this home is still there. */
    private void stopDaemon(NodeLayout layout, long pid) {
        if (DaemonClient.running(layout)) {
            try (DaemonClient c = new DaemonClient(layout.daemonSocket())) {
                c.list().forEach(v -> c.destroy(v.name()));
                DaemonClient.stop(layout, Duration.ofSeconds(15));
            } catch (RuntimeException e) {
                out.println("could not stop cleanly (" + e.getMessage() + "); killing");
            }
        }
        BenchHost.kill(pid, layout.home().toString());
    }

    /** N transient libvirt domains shaped like the daemon's VMs, booted to a heartbeat; libvirtd and virtlogd measured. */
    private List<Column> libvirt(BenchCleanup cleanup, Image image, VmProfile shape, Path dir) throws IOException {
        String version = LibvirtHost.version();
        long others = LibvirtHost.virsh("list", "--name").lines().filter(l -> !l.isBlank()).count();
        cleanup.push("kill QEMUs left of " + dir, () -> BenchHost.kill(-1, dir.toString()));
        out.printf("libvirt: %s%s; defining %d transient domains%n", version, others > 0 ? "; " + others
                + " domains of others run too (measured with them)" : "", vms);
        out.flush();
        List<String> names = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 1; i <= vms; i++) {
            String name = "hvfp-" + ProcessHandle.current().pid() + "-" + i;
            Path d = dir.resolve("d" + i);
            Files.createDirectories(d);
            Path disk = d.resolve("data.qcow2");
            new ImageStore(image.dir().getParent()).createDataDisk(image, disk, shape.disk().sizeBytes());
            String xml = LibvirtHost.domainXml(name, shape, image, disk, d);
            Path xmlFile = d.resolve("domain.xml");
            Files.writeString(xmlFile, xml);
            cleanup.push("virsh destroy " + name, () -> LibvirtHost.virshQuiet("destroy", name));
            LibvirtHost.virsh("create", xmlFile.toString());
            names.add(name);
        }
        for (int i = 1; i <= vms; i++) {
            // one heartbeat from each guest's agent, as for the daemon's VMs; then the channel is closed
            RawAgent.awaitHeartbeat(dir.resolve("d" + i).resolve("agent.sock"), null, new CompletableFuture<>()).close();
        }
        out.printf("  all %d domains running with heartbeats after %.1f s%n", vms, (System.nanoTime() - t0) / 1e9);
        out.flush();
        Map<String, Long> pids = new LinkedHashMap<>();
        pids.put("libvirtd (" + version.replaceAll(".*libvirt ", "libvirt ").replaceAll(";.*", "") + ")", daemonPid("libvirtd"));
        long virtlogd = daemonPid("virtlogd");
        if (virtlogd > 0) {
            pids.put("virtlogd (apart)", virtlogd);
        }
        if (pids.values().iterator().next() <= 0) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "libvirtd answers but its pid is unknown (no /run/libvirtd.pid)");
        }
        List<Column> cols = measure(pids);
        for (String name : names) {
            String state = LibvirtHost.virsh("domstate", name).strip();
            if (!state.equals("running")) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "domain " + name + " is " + state + " after the window");
            }
        }
        return cols;
    }

    /** The pid in {@code /run/NAME.pid} if that process runs, else -1. */
    private static long daemonPid(String name) {
        try {
            long pid = Long.parseLong(Files.readString(Path.of("/run", name + ".pid")).strip());
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) ? pid : -1;
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    /** Waits the settling time, then reads every process at the start and the end of the window and each second between. */
    private List<Column> measure(Map<String, Long> pids) {
        park(settle * 1_000_000_000L);
        Map<String, ProcFootprint> first = new LinkedHashMap<>();
        Map<String, Long> maxRss = new LinkedHashMap<>();
        pids.forEach((label, pid) -> {
            ProcFootprint f = ProcFootprint.read(pid);
            first.put(label, f);
            maxRss.put(label, f.rssKiB());
        });
        long t0 = System.nanoTime();
        long end = t0 + seconds * 1_000_000_000L;
        while (System.nanoTime() < end) {
            park(Math.min(1_000_000_000L, end - System.nanoTime()));
            pids.forEach((label, pid) -> maxRss.merge(label, ProcFootprint.read(pid).rssKiB(), Math::max));
        }
        List<Column> cols = new ArrayList<>();
        pids.forEach((label, pid) -> {
            ProcFootprint last = ProcFootprint.read(pid);
            double window = (System.nanoTime() - t0) / 1e9;
            cols.add(new Column(label, last, Math.max(maxRss.get(label), last.rssKiB()), last.cpuPercentSince(first.get(label), window),
                    null));
        });
        for (Column c : cols) {
            out.printf("  %s: RSS %.1f MiB, PSS %.1f MiB, CPU %.2f %%, %d threads%n", c.label(), mib(c.end().rssKiB()),
                    mib(c.end().pssKiB()), c.cpuPercent(), c.end().threads());
        }
        out.flush();
        return cols;
    }

    private static void park(long nanos) {
        long deadline = System.nanoTime() + nanos;
        while (System.nanoTime() < deadline) {
            LockSupport.parkNanos(deadline - System.nanoTime());
            if (Thread.currentThread().isInterrupted()) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "interrupted");
            }
        }
    }

    private double[] report(List<Column> cols) {
        out.printf("%nfootprint with %d idle VMs (1 vCPU, %s, %s data disk) each, over %d s after %d s settling; load average %s%n",
                vms, MEMORY, DISK, seconds, settle, BenchHost.loadAverage());
        out.printf("  %-40s %10s %10s %10s %12s %8s%n", "process", "RSS", "PSS", "RSS max", "CPU (1 core)", "threads");
        for (Column c : cols) {
            if (c.unavailable() != null) {
                out.printf("  %-40s not available: %s%n", c.label(), c.unavailable().strip().replaceAll("\\s*\\n\\s*", "; "));
            } else {
                out.printf("  %-40s %6.1f MiB %6.1f MiB %6.1f MiB %10.2f %% %8d%n", c.label(), mib(c.end().rssKiB()),
                        mib(c.end().pssKiB()), mib(c.maxRssKiB()), c.cpuPercent(), c.end().threads());
            }
        }
        Column h = cols.get(0);
        Column lv = cols.stream().filter(c -> c.label().startsWith("libvirtd")).findFirst().orElseThrow();
        if (lv.unavailable() == null) {
            out.printf("  %-40s RSS %.2f×, PSS %.2f×, CPU %s%n", "ratio hpcvirtd / libvirtd:", (double) h.end().rssKiB() / lv.end().rssKiB(),
                    (double) h.end().pssKiB() / lv.end().pssKiB(), lv.cpuPercent() > 0 ? String.format("%.2f×", h.cpuPercent()
                    / lv.cpuPercent()) : "– (libvirtd used no CPU time the kernel counted)");
        } else {
            out.printf("  %-40s not available (no libvirtd)%n", "ratio hpcvirtd / libvirtd:");
        }
        double rss = mib(h.end().rssKiB());
        out.printf("  %-40s %s (%.1f MiB, largest seen %.1f MiB)%n", "goal hpcvirtd RSS ≤ " + GOAL_RSS_MIB + " MiB:",
                mib(h.maxRssKiB()) <= GOAL_RSS_MIB ? "met" : "MISSED", rss, mib(h.maxRssKiB()));
        out.printf("  %-40s %s (%.2f %%)%n", "goal hpcvirtd CPU ≤ " + GOAL_CPU_PERCENT + " %:",
                h.cpuPercent() <= GOAL_CPU_PERCENT ? "met" : "MISSED", h.cpuPercent());
        options.forEach((label, opts) -> out.printf("  %-40s %s%n", label + ":", String.join(" ", opts)));
        out.flush();
        return new double[] {rss, h.cpuPercent()};
    }

    private static double mib(long kib) {
        return kib / 1024.0;
    }
}
