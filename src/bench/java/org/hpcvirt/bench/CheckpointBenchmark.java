package org.hpcvirt.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.hpcvirt.api.DirectoryTree;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.VmEvent;
import org.hpcvirt.backend.LaunchSpec;
import org.hpcvirt.backend.qemu.QemuCommandLine;
import org.hpcvirt.backend.qemu.QmpConnection;
import org.hpcvirt.checkpoint.CheckpointManifest;
import org.hpcvirt.daemon.Daemon;
import org.hpcvirt.daemon.DaemonClient;
import org.hpcvirt.guest.GuestChannel;
import org.hpcvirt.guest.Image;
import org.hpcvirt.guest.ImageStore;
import org.hpcvirt.profile.HostLimits;
import org.hpcvirt.profile.ProfileLoader;
import org.hpcvirt.profile.VmProfile;
import org.hpcvirt.vm.NodeLayout;

/**
 * Checkpoint and restore of a 128 MiB guest with a 64 MiB data disk, side by side in one run:
 * hpcvirt (REST → daemon: paused and live checkpoint incl. disk layer, SHA-256 and fsync; restore to
 * first heartbeat) against (a) the same QEMU command line driven raw over QMP ({@code stop},
 * {@code migrate exec:cat > file}, fsync; {@code -incoming} from that file), (b) libvirt's
 * {@code virsh save}/{@code virsh restore} of an equivalent domain, and (c) the disk's own limit,
 * bytes written ÷ fsync'd sequential write bandwidth measured in the same run. Rounds alternate.
 */
public final class CheckpointBenchmark {
    private static final Duration QMP = Duration.ofSeconds(30);

    private final Path imagesDir;
    private final String imageName;
    private final int rounds;
    private final Path script;
    private final PrintWriter out;

    /** @param script {@code bench/libvirt-setup.sh}, or null to leave libvirt out */
    public CheckpointBenchmark(Path imagesDir, String imageName, int rounds, Path script, PrintWriter out) {
        if (rounds < 1 || rounds > 50) {
            throw HpcvirtException.invalid("--rounds must be between 1 and 50, not " + rounds);
        }
        this.imagesDir = imagesDir;
        this.imageName = imageName;
        this.rounds = rounds;
        this.script = script;
        this.out = out;
    }

    /** Samples of one column. */
    private static final class Col {
        final List<Double> xs = new ArrayList<>();

        void add(double x) {
            xs.add(x);
        }

        double med() {
            return xs.isEmpty() ? Double.NaN : Stats.median(xs);
        }

        String line() {
            return xs.isEmpty() ? "        -" : String.format("%7.0f ms  (min %.0f, max %.0f)", med(), Stats.min(xs), Stats.max(xs));
        }
    }

    public void run() throws Exception {
        Image image = new ImageStore(imagesDir).get(imageName);
        NodeLayout layout = NodeLayout.temporary("hvc", imagesDir);
        Path home = layout.home();
        String yaml = "name: bench\nbackend: qemu\ncpus: 1\nmemory: 128M\nimage: " + imageName
                + "\ndisk:\n  size: 64M\nheartbeat:\n  interval: 100ms\n  timeout: 2s\n";
        VmProfile profile = new ProfileLoader(HostLimits.detect()).parse(yaml, "bench.yaml");

        Col hcp = new Col(), hcpPause = new Col(), hlive = new Col(), hlivePause = new Col(), rawCp = new Col(),
                lvSave = new Col(), limit = new Col(), hBytes = new Col(), rawBytes = new Col(), lvBytes = new Col();
        Col hRestHb = new Col(), hRestQemu = new Col(), rawRestQemu = new Col(), rawRestHb = new Col(),
                lvRest = new Col(), lvRestHb = new Col();

        List<Double> bws = new ArrayList<>();
        bws.add(diskBandwidth(home));
        out.printf("checkpoint/restore benchmark: %d rounds, 128 MiB guest, 64M data disk, image %s, QEMU/TCG%n", rounds, imageName);
        out.printf("fsync'd sequential write, 256 MiB in %s: %.0f MiB/s (measured again every round)%n", home, bws.get(0) / (1 << 20));
        out.flush();

        Path lvState = home.resolve("libvirt.state");
        String lvReason = LibvirtHost.up(script, lvState);
        Libvirt lv = null;
        RawQemu raw = null;
        Daemon daemon = Daemon.start(layout);
        try (DaemonClient client = new DaemonClient(layout.daemonSocket())) {
          try {
            client.define(yaml, "bench.yaml");
            client.start("bench", true, Duration.ofSeconds(120));
            raw = RawQemu.boot(profile, image, home.resolve("raw"), true);
            if (lvReason == null) {
                try {
                    lv = Libvirt.boot(profile, image, home.resolve("lv"));
                } catch (RuntimeException e) {
                    lvReason = "domain did not boot: " + HpcvirtException.chain(e);
                }
            }
            out.println(lvReason == null ? "libvirt: " + LibvirtHost.version() : "libvirt: not available: " + lvReason);
            // The first hpcvirt checkpoint moves the data disk's top layer into the store (once per VM);
            // take it before the rounds so that every measured checkpoint is a steady-state one.
            CheckpointManifest warm = client.checkpoint("bench", false, "warm-up");
            out.printf("warm-up hpcvirt checkpoint (moves the disk layer into the store): %d ms capture%n", warm.totalMs());
            String keep = warm.id();
            for (int i = 0; i < rounds; i++) {
                // --- checkpoint
                long t0 = System.nanoTime();
                CheckpointManifest m = client.checkpoint("bench", false, null);
                double h = ms(t0);
                long hb = written(m);
                hcp.add(h);
                hcpPause.add(m.pauseMs());
                hBytes.add((double) hb);
                // the disk's bandwidth, measured again each round (page cache and neighbours make it vary)
                double bwi = diskBandwidth(home);
                bws.add(bwi);
                limit.add(hb / bwi * 1000);
                t0 = System.nanoTime();
                CheckpointManifest ml = client.checkpoint("bench", true, null);
                hlive.add(ms(t0));
                hlivePause.add(ml.pauseMs());
                double[] r = raw.checkpoint(home.resolve("raw-" + i + ".state"));
                rawCp.add(r[0]);
                rawBytes.add(r[1]);
                double[] s = null;
                if (lv != null) {
                    s = lv.save(home.resolve("lv-" + i + ".sav"));
                    lvSave.add(s[0]);
                    lvBytes.add(s[1]);
                }
                // --- restore, each on a quiet disk: this round wrote ~0.6 GiB (checkpoints, saves, the
                // bandwidth test), and an fsync by anyone while that is written back waits for all of it.
                // The three take turns going first: a QEMU that starts right after another one exited
                // reuses warm memory, while one that starts later may have to fault in memory this VM
                // already gave back to its host (the test machine is itself a VM), which costs up to
                // ~300 ms more (docs/BENCHMARKS.md).
                final int round = i;
                final Libvirt lvf = lv;
                double[][] rr = new double[1][];
                double[][] lr = new double[1][];
                List<Step> restores = new ArrayList<>(List.of(() -> {
                    quietDisk();
                    long s0 = System.nanoTime();
                    client.restore(m.id(), "r" + round, true, Duration.ofSeconds(120));
                    hRestHb.add(ms(s0));
                    hRestQemu.add(restoredMs(client, "r" + round));
                    client.destroy("r" + round);
                }, () -> {
                    quietDisk();
                    rr[0] = RawQemu.restore(profile, image, home.resolve("rr"), home.resolve("raw-" + round + ".state"));
                    rawRestQemu.add(rr[0][0]);
                    rawRestHb.add(rr[0][1]);
                    Files.deleteIfExists(home.resolve("raw-" + round + ".state"));
                }, () -> {
                    if (lvf != null) {
                        quietDisk();
                        lr[0] = lvf.restore(home.resolve("lv-" + round + ".sav"));
                        lvRest.add(lr[0][0]);
                        lvRestHb.add(lr[0][1]);
                        Files.deleteIfExists(home.resolve("lv-" + round + ".sav"));
                    }
                }));
                java.util.Collections.rotate(restores, -(i % 3));
                for (Step step : restores) {
                    step.run();
                }
                for (CheckpointManifest c : List.of(m, ml)) {
                    client.deleteCheckpoint(c.id());
                }
                out.printf("  round %d: checkpoint hpcvirt %.0f ms (paused %d), live %.0f ms (paused %d), raw QMP %.0f ms, virsh save %s;"
                        + " restore hpcvirt %.0f ms to heartbeat (QEMU running %.0f), raw %.0f/%.0f ms, virsh restore %s%n",
                        i + 1, h, m.pauseMs(), hlive.xs.get(i), ml.pauseMs(), r[0], s == null ? "-" : String.format("%.0f ms", s[0]),
                        hRestHb.xs.get(i), hRestQemu.xs.get(i), rr[0][0], rr[0][1],
                        lr[0] == null ? "-" : String.format("%.0f ms (heartbeat %.0f)", lr[0][0], lr[0][1]));
                out.flush();
            }
            client.deleteCheckpoint(keep);
          } finally {
            // QEMUs outlive their daemon: kill every VM of this run before the daemon goes
            for (var st : client.list()) {
                try {
                    client.destroy(st.name());
                } catch (RuntimeException e) {
                    out.println("cleanup: " + st.name() + ": " + e.getMessage());
                }
            }
          }
        } finally {
            if (raw != null) {
                raw.close();
            }
            if (lv != null) {
                lv.close();
            }
            daemon.close();
            LibvirtHost.down(script, lvState);
            DirectoryTree.delete(home);
        }

        double mib = 1 << 20;
        out.printf("%ncheckpoint, 128 MiB guest + data disk, written and fsync'd (median of %d)%n", rounds);
        out.printf("  hpcvirt vm checkpoint (paused):   %s  guest paused %.0f ms, %.1f MiB (state + disk layer), incl. SHA-256, fsync, rename%n",
                hcp.line(), hcpPause.med(), hBytes.med() / mib);
        out.printf("  hpcvirt vm checkpoint --live:     %s  guest paused %.0f ms (min %.0f, max %.0f)%n", hlive.line(), hlivePause.med(),
                Stats.min(hlivePause.xs), Stats.max(hlivePause.xs));
        out.printf("  raw QMP stop+migrate+fsync:       %s  %.1f MiB (RAM state only; disk not captured)%n", rawCp.line(), rawBytes.med() / mib);
        out.printf("  virsh save:                       %s  %s%n", lvSave.line(), lvBytes.xs.isEmpty() ? "" : String.format("%.1f MiB (RAM state only)", lvBytes.med() / mib));
        out.printf("  disk limit (hpcvirt bytes ÷ fsync'd write bandwidth, per round; bandwidth median %.0f MiB/s, min %.0f, max %.0f):%n"
                + "                                    %s%n", Stats.median(bws) / mib, Stats.min(bws) / mib, Stats.max(bws) / mib, limit.line());
        out.printf("  ratio hpcvirt paused / raw QMP:   %7.2f%n", hcp.med() / rawCp.med());
        out.printf("  ratio hpcvirt paused / virsh save:%7.2f  (goal ≤ 0.15: %s)%n", hcp.med() / lvSave.med(), verdict(hcp.med() / lvSave.med() <= 0.15, lvSave));
        out.printf("  ratio hpcvirt paused / disk limit:%7.2f  (goal ≤ 2: %s)%n", hcp.med() / limit.med(), verdict(hcp.med() / limit.med() <= 2, limit));
        out.printf("  live checkpoint guest pause:      %7.0f ms  (goal ≤ 10 ms: %s)%n", hlivePause.med(), verdict(hlivePause.med() <= 10, hlivePause));
        out.printf("%nrestore (median of %d)%n", rounds);
        out.printf("  hpcvirt vm restore → RUNNING (first heartbeat): %s%n", hRestHb.line());
        out.printf("  hpcvirt restore → QEMU running, verified (RESTORED event): %s%n", hRestQemu.line());
        out.printf("  raw QEMU -incoming → cont returned:            %s%n", rawRestQemu.line());
        out.printf("  raw QEMU -incoming → first heartbeat:          %s%n", rawRestHb.line());
        out.printf("  virsh restore (command returns, running):      %s%n", lvRest.line());
        out.printf("  virsh restore → first heartbeat:               %s%n", lvRestHb.line());
        out.printf("  ratio hpcvirt heartbeat / raw heartbeat:       %7.2f%n", hRestHb.med() / rawRestHb.med());
        out.printf("  ratio hpcvirt QEMU running / virsh restore:    %7.2f  (goal ≤ 0.4: %s)%n", hRestQemu.med() / lvRest.med(),
                verdict(hRestQemu.med() / lvRest.med() <= 0.4, lvRest));
        out.printf("  ratio hpcvirt heartbeat / virsh heartbeat:     %7.2f  (goal ≤ 0.4: %s)%n", hRestHb.med() / lvRestHb.med(),
                verdict(hRestHb.med() / lvRestHb.med() <= 0.4, lvRestHb));
        out.flush();
    }

    private static String verdict(boolean met, Col baseline) {
        return baseline.xs.isEmpty() ? "no baseline" : met ? "met" : "MISSED";
    }

    private static double ms(long t0) {
        return (System.nanoTime() - t0) / 1e6;
    }

    /** Bytes a checkpoint wrote: its state file plus the disk layer it froze (the newest of its chain). */
    private static long written(CheckpointManifest m) {
        long b = m.stateBytes();
        if (!m.layers().isEmpty()) {
            String top = m.layers().get(m.layers().size() - 1);
            b += m.files().stream().filter(f -> f.path().equals(top)).mapToLong(CheckpointManifest.FileEntry::size).sum();
        }
        return b;
    }

    /** The daemon's own time from the restore request to the guest running (checksums verified), from the RESTORED event's {@code ms}. */
    private static double restoredMs(DaemonClient client, String vm) {
        for (VmEvent e : client.events(vm, 0, 100)) {
            if (e.type() == VmEvent.Type.RESTORED && e.data().get("ms") instanceof Number n) {
                if (System.getenv("HPCVIRT_BENCH_PHASES") != null) {
                    System.out.println("    restore phases (µs): " + e.data().get("phasesMicros"));
                }
                return n.doubleValue();
            }
        }
        throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "no RESTORED event for " + vm);
    }

    /** One measured step of a round. */
    @FunctionalInterface
    private interface Step {
        void run() throws Exception;
    }

    /** Runs sync(1): everything written so far reaches the disk before the next measurement. */
    private static void quietDisk() throws IOException {
        Process p = new ProcessBuilder("sync").inheritIO().start();
        try {
            if (!p.waitFor(5, java.util.concurrent.TimeUnit.MINUTES)) {
                p.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while syncing");
        }
    }

    /** fsync'd sequential write bandwidth in bytes/s: 256 MiB in 4 MiB writes, then force(true). */
    static double diskBandwidth(Path dir) throws IOException {
        Path f = dir.resolve("bw.tmp");
        ByteBuffer buf = ByteBuffer.allocateDirect(4 << 20);
        new java.util.Random(1).ints(buf.capacity() / 4).forEach(buf::putInt);
        long total = 256L << 20;
        long t0 = System.nanoTime();
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            for (long done = 0; done < total; done += buf.capacity()) {
                buf.clear();
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
            }
            ch.force(true);
        } finally {
            long t1 = System.nanoTime();
            Files.deleteIfExists(f);
            t0 = t1 - t0;
        }
        return total / (t0 / 1e9);
    }

    private static void fsync(Path f) throws IOException {
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }

    // ------------------------------------------------------------------------------ raw QEMU

    /** The same QEMU command line hpcvirt builds, started directly and driven over QMP. */
    private static final class RawQemu implements AutoCloseable {
        final Process proc;
        final QmpConnection qmp;
        final Path disk;
        final GuestChannel channel;

        private RawQemu(Process proc, QmpConnection qmp, Path disk, GuestChannel channel) {
            this.proc = proc;
            this.qmp = qmp;
            this.disk = disk;
            this.channel = channel;
        }

        static RawQemu boot(VmProfile profile, Image image, Path run, boolean withDisk) throws IOException {
            DirectoryTree.delete(run);
            Files.createDirectories(run);
            Path disk = run.resolve("data.qcow2");
            new ImageStore(image.dir().getParent()).createDataDisk(image, disk, profile.disk().sizeBytes());
            Process p = start(new LaunchSpec(profile, run, image.kernel(), image.initramfs(), disk, null, false), run);
            try {
                QmpConnection q = QmpConnection.connect(run.resolve(QemuCommandLine.QMP_SOCKET), Duration.ofSeconds(10));
                CompletableFuture<Long> hb = new CompletableFuture<>();
                GuestChannel ch = RawAgent.awaitHeartbeat(run.resolve(QemuCommandLine.AGENT_SOCKET), p, hb);
                q.execute("migrate-set-parameters", Map.of("max-bandwidth", Long.MAX_VALUE / 2), QMP);
                return new RawQemu(p, q, disk, ch);
            } catch (RuntimeException e) {
                kill(p);
                throw e;
            }
        }

        /** stop, migrate to a file, poll, fsync, cont; returns {ms from stop to fsync'd, bytes}. */
        double[] checkpoint(Path file) throws IOException {
            long t0 = System.nanoTime();
            qmp.execute("stop", Map.of(), QMP);
            qmp.execute("migrate", Map.of("uri", "exec:cat > " + file), QMP);
            RawQmp.awaitMigration(qmp);
            fsync(file);
            double ms = ms(t0);
            qmp.execute("cont", Map.of(), QMP);
            return new double[] {ms, Files.size(file)};
        }

        /** A new QEMU with {@code -incoming defer -S} loads {@code file}; returns {ms to cont returned, ms to first heartbeat}. */
        static double[] restore(VmProfile profile, Image image, Path run, Path file) throws IOException {
            DirectoryTree.delete(run);
            Files.createDirectories(run);
            // A fresh overlay, as hpcvirt restores onto a new overlay. It sits on the image's base, not on
            // the raw VM's disk: that one is open for writing by the running raw QEMU, whose lock refuses
            // a second user (the raw baseline captures no disk state anyway; the guest is killed at its
            // first heartbeat, before it could notice).
            Path disk = run.resolve("data.qcow2");
            new ImageStore(image.dir().getParent()).createDataDisk(image, disk, profile.disk().sizeBytes());
            long t0 = System.nanoTime();
            Process p = start(new LaunchSpec(profile, run, image.kernel(), image.initramfs(), disk, file, false), run);
            GuestChannel ch = null;
            try (QmpConnection q = QmpConnection.connect(run.resolve(QemuCommandLine.QMP_SOCKET), Duration.ofSeconds(10))) {
                CompletableFuture<Long> hb = new CompletableFuture<>();
                q.execute("migrate-incoming", Map.of("uri", "exec:cat " + file), QMP);
                RawQmp.awaitMigration(q);
                q.execute("cont", Map.of(), QMP);
                double running = ms(t0);
                ch = RawAgent.awaitHeartbeat(run.resolve(QemuCommandLine.AGENT_SOCKET), p, hb);
                return new double[] {running, (hb.join() - t0) / 1e6};
            } finally {
                if (ch != null) {
                    ch.close();
                }
                kill(p);
                DirectoryTree.delete(run);
            }
        }

        private static Process start(LaunchSpec spec, Path run) throws IOException {
            List<String> cmd = QemuCommandLine.build(spec, QemuCommandLine.Accel.TCG);
            return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(run.resolve("qemu.log").toFile()).start();
        }

        @Override
        public void close() {
            channel.close();
            qmp.close();
            kill(proc);
        }
    }
    private static void kill(Process p) {
        p.destroyForcibly();
        try {
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------------------ libvirt

    /** A transient libvirt domain equivalent to hpcvirt's QEMU: q35, TCG, max CPU, same kernel, initramfs, append, disk, agent port. */
    private static final class Libvirt implements AutoCloseable {
        final String name;
        final Path dir;
        GuestChannel channel;

        private Libvirt(String name, Path dir) {
            this.name = name;
            this.dir = dir;
        }

        static Libvirt boot(VmProfile profile, Image image, Path dir) throws IOException {
            DirectoryTree.delete(dir);
            Files.createDirectories(dir);
            Path disk = dir.resolve("data.qcow2");
            new ImageStore(image.dir().getParent()).createDataDisk(image, disk, profile.disk().sizeBytes());
            Libvirt lv = new Libvirt("hvbench-" + ProcessHandle.current().pid(), dir);
            String xml = LibvirtHost.domainXml(lv.name, profile, image, disk, dir);
            Path xmlFile = dir.resolve("domain.xml");
            Files.writeString(xmlFile, xml);
            try {
                LibvirtHost.virsh("create", xmlFile.toString());
                lv.channel = RawAgent.awaitHeartbeat(dir.resolve("agent.sock"), null, new CompletableFuture<>());
                return lv;
            } catch (RuntimeException e) {
                lv.close();
                throw e;
            }
        }

        /** virsh save; returns {ms, bytes}. The domain is gone afterwards. */
        double[] save(Path file) throws IOException {
            channel.close();
            channel = null;
            long t0 = System.nanoTime();
            LibvirtHost.virsh("save", name, file.toString());
            return new double[] {ms(t0), Files.size(file)};
        }

        /** virsh restore; returns {ms until the command returned, ms until the first heartbeat}. */
        double[] restore(Path file) {
            long t0 = System.nanoTime();
            LibvirtHost.virsh("restore", file.toString());
            double ms = ms(t0);
            CompletableFuture<Long> hb = new CompletableFuture<>();
            channel = RawAgent.awaitHeartbeat(dir.resolve("agent.sock"), null, hb);
            return new double[] {ms, (hb.join() - t0) / 1e6};
        }

        @Override
        public void close() {
            if (channel != null) {
                channel.close();
            }
            LibvirtHost.virshQuiet("destroy", name);
            LibvirtHost.virshQuiet("undefine", name);
        }
    }
}
