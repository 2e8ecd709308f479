package org.hpcvirt.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.hpcvirt.api.DirectoryTree;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.backend.LaunchSpec;
import org.hpcvirt.backend.qemu.QemuCommandLine;
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
 * Time from a start request to the guest's first heartbeat, through hpcvirt (REST request to a
 * daemon → QEMU → agent heartbeat) versus the very same QEMU command line started raw with a
 * bare channel reader. Rounds alternate between the two so that machine noise hits both alike.
 */
public final class BootBenchmark {
    private final Path imagesDir;
    private final String imageName;
    private final int rounds;
    private final PrintWriter out;

    public BootBenchmark(Path imagesDir, String imageName, int rounds, PrintWriter out) {
        if (rounds < 1 || rounds > 100) {
            throw HpcvirtException.invalid("--rounds must be between 1 and 100, not " + rounds);
        }
        this.imagesDir = imagesDir;
        this.imageName = imageName;
        this.rounds = rounds;
        this.out = out;
    }

    /** Runs the benchmark; returns {hpcvirt median ms, raw median ms}. */
    public double[] run() throws IOException {
        Image image = new ImageStore(imagesDir).get(imageName);
        NodeLayout layout = NodeLayout.temporary("hvb", imagesDir);
        Path home = layout.home();
        String yaml = "name: bench\nbackend: qemu\ncpus: 1\nmemory: 128M\nimage: " + imageName
                + "\nheartbeat:\n  interval: 100ms\n  timeout: 2s\n";
        VmProfile profile = new ProfileLoader(HostLimits.detect()).parse(yaml, "bench.yaml");
        List<Double> viaHpcvirt = new ArrayList<>();
        List<Double> raw = new ArrayList<>();
        Daemon daemon = Daemon.start(layout);
        try (DaemonClient client = new DaemonClient(layout.daemonSocket())) {
            client.define(yaml, "bench.yaml");
            out.printf("boot benchmark: %d rounds, 128 MiB guest, image %s, QEMU/TCG%n", rounds, imageName);
            for (int i = 0; i < rounds; i++) {
                long t0 = System.nanoTime();
                client.start("bench", true, Duration.ofSeconds(120));
                viaHpcvirt.add((System.nanoTime() - t0) / 1e6);
                client.stop("bench", true, Duration.ofSeconds(10));

                raw.add(rawBoot(profile, image, home.resolve("raw")));
                out.printf("  round %d: hpcvirt %.0f ms, raw QEMU %.0f ms%n", i + 1, viaHpcvirt.get(i), raw.get(i));
                out.flush();
            }
        } finally {
            daemon.close();
            DirectoryTree.delete(home);
        }
        double h = Stats.median(viaHpcvirt);
        double r = Stats.median(raw);
        out.printf("%nstart request → first heartbeat (median of %d)%n", rounds);
        out.printf("  hpcvirt (REST → daemon → QEMU):  %7.0f ms  (min %.0f, max %.0f)%n", h, Stats.min(viaHpcvirt), Stats.max(viaHpcvirt));
        out.printf("  raw QEMU, same command line:     %7.0f ms  (min %.0f, max %.0f)%n", r, Stats.min(raw), Stats.max(raw));
        out.printf("  ratio hpcvirt / raw:             %7.3f  (goal ≤ 1.03)%n", h / r);
        return new double[] {h, r};
    }

    /** The same QEMU argument list, started directly, with a bare channel reader waiting for heartbeat 1. */
    private static double rawBoot(VmProfile profile, Image image, Path run) throws IOException {
        DirectoryTree.delete(run);
        Files.createDirectories(run);
        List<String> cmd = QemuCommandLine.build(new LaunchSpec(profile, run, image.kernel(), image.initramfs(), null, null, false),
                QemuCommandLine.Accel.TCG);
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(run.resolve("qemu.log").toFile()).start();
        CompletableFuture<Long> first = new CompletableFuture<>();
        GuestChannel ch = null;
        try {
            ch = RawAgent.awaitHeartbeat(run.resolve(QemuCommandLine.AGENT_SOCKET), p, first);
            long t1 = first.join();
            return (t1 - t0) / 1e6;
        } catch (Exception e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "raw boot failed", e);
        } finally {
            if (ch != null) {
                ch.close();
            }
            p.destroyForcibly();
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

}
