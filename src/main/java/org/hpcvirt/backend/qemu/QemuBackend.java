package org.hpcvirt.backend.qemu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.hpcvirt.api.DirectoryTree;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.backend.Backend;
import org.hpcvirt.backend.Capabilities;
import org.hpcvirt.backend.IncomingLaunch;
import org.hpcvirt.backend.Instance;
import org.hpcvirt.backend.InstanceRecord;
import org.hpcvirt.backend.LaunchSpec;
import org.hpcvirt.backend.MemoryAccess;
import org.hpcvirt.backend.ProbeResult;
import org.hpcvirt.backend.ProcessInfo;

/**
 * The {@code qemu} backend (full-system emulation with TCG) and, with {@link QemuCommandLine.Accel#KVM},
 * the {@code kvm} backend. Both run the same QEMU command line except for the accelerator, so a
 * profile switches between them by its {@code backend} field only. Thread-safe.
 */
public final class QemuBackend implements Backend {
    private static final Pattern VERSION = Pattern.compile("version (\\d+\\.\\d+\\.\\d+)");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);

    private final QemuCommandLine.Accel accel;
    private final Duration kvmProbeTimeout;
    private volatile ProbeResult probe;
    private final IncomingLaunch incomingLaunch = this::launchIncoming;
    private final org.hpcvirt.network.PrivateNetworks networks = org.hpcvirt.network.PrivateNetworks.system();
    private final MemoryAccess.Provider memoryAccess = record -> QemuMemoryAccess.inRunDir(record.runDir());

    public QemuBackend(QemuCommandLine.Accel accel) {
        this(accel, Duration.ofSeconds(Long.getLong("hpcvirt.kvm.probe.seconds", 15)));
    }

    QemuBackend(QemuCommandLine.Accel accel, Duration kvmProbeTimeout) {
        this.accel = accel;
        this.kvmProbeTimeout = kvmProbeTimeout;
    }

    /** The {@code qemu} (TCG) backend. */
    public static QemuBackend tcg() {
        return new QemuBackend(QemuCommandLine.Accel.TCG);
    }

    /** The {@code kvm} backend. */
    public static QemuBackend kvm() {
        return new QemuBackend(QemuCommandLine.Accel.KVM);
    }

    @Override
    public String name() {
        return accel == QemuCommandLine.Accel.KVM ? "kvm" : "qemu";
    }

    @Override
    public String description() {
        return accel == QemuCommandLine.Accel.KVM
                ? "QEMU with KVM hardware virtualization"
                : "QEMU full-system emulation (TCG)";
    }

    @Override
    public ProbeResult probe() {
        ProbeResult p = probe;
        if (p == null) {
            synchronized (this) {
                if (probe == null) {
                    probe = doProbe();
                }
                p = probe;
            }
        }
        return p;
    }

    private ProbeResult doProbe() {
        String version;
        try {
            Process v = new ProcessBuilder(QemuCommandLine.binary(), "--version").redirectErrorStream(true).start();
            String out = new String(v.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!v.waitFor(10, TimeUnit.SECONDS) || v.exitValue() != 0) {
                v.destroyForcibly();
                return ProbeResult.unusable(QemuCommandLine.binary() + " --version failed: " + out.strip(), "");
            }
            Matcher m = VERSION.matcher(out);
            version = m.find() ? m.group(1) : "unknown";
        } catch (IOException e) {
            return ProbeResult.unusable(QemuCommandLine.binary() + " not found (install qemu-system-x86)", "");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ProbeResult.unusable("probe interrupted", "");
        }
        if (accel == QemuCommandLine.Accel.TCG) {
            return ProbeResult.ok(version);
        }
        return probeKvm(version);
    }

    /**
     * /dev/kvm may exist and open fine yet be unable to run a guest (nested virtualization that
     * hangs after the real-mode stub). Only a bounded test boot tells: we boot the host's kernel
     * with no disk and wait for its first console line.
     */
    private ProbeResult probeKvm(String version) {
        Path dev = Path.of("/dev/kvm");
        if (!Files.exists(dev)) {
            return ProbeResult.unusable("/dev/kvm does not exist (no hardware virtualization or kvm module not loaded)", version);
        }
        if (!Files.isReadable(dev) || !Files.isWritable(dev)) {
            return ProbeResult.unusable("/dev/kvm is not readable and writable by this user", version);
        }
        Path kernel = newestKernel();
        if (kernel == null) {
            return ProbeResult.unusable("no kernel under /boot for the KVM test boot", version);
        }
        Path dir = null;
        Process p = null;
        try {
            dir = Files.createTempDirectory("hpcvirt-kvm-probe");
            Path console = dir.resolve("console.log");
            List<String> cmd = List.of(QemuCommandLine.binary(), "-machine", "q35,accel=kvm", "-cpu", "host", "-m", "64M",
                    "-nodefaults", "-no-user-config", "-display", "none", "-kernel", kernel.toString(),
                    "-append", "console=ttyS0 panic=-1", "-serial", "file:" + console, "-no-reboot");
            p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("qemu.log").toFile()).start();
            long deadline = System.nanoTime() + kvmProbeTimeout.toNanos();
            while (System.nanoTime() < deadline) {
                if (Files.exists(console) && Files.readString(console, StandardCharsets.ISO_8859_1).contains("Linux version")) {
                    return ProbeResult.ok(version);
                }
                if (!p.isAlive()) {
                    String log = Files.readString(dir.resolve("qemu.log")).strip();
                    return ProbeResult.unusable("KVM present but cannot boot a guest here (test boot aborted: " + lastLine(log) + ")", version);
                }
                LockSupport.parkNanos(100_000_000L);
            }
            return ProbeResult.unusable("KVM present but cannot boot a guest here (test boot printed nothing in "
                    + kvmProbeTimeout.toSeconds() + " s; nested virtualization?)", version);
        } catch (IOException e) {
            return ProbeResult.unusable("KVM test boot failed: " + e.getMessage(), version);
        } finally {
            if (p != null) {
                p.destroyForcibly();
                try {
                    p.waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            DirectoryTree.deleteQuietly(dir);
        }
    }

    private static Path newestKernel() {
        try (Stream<Path> s = Files.list(Path.of("/boot"))) {
            return s.filter(f -> f.getFileName().toString().startsWith("vmlinuz-"))
                    .max(Comparator.comparing(Path::toString)).orElse(null);
        } catch (IOException e) {
            return null;
        }
    }

    @Override
    public Instance launch(LaunchSpec spec) {
        return launch(spec, true);
    }

    /**
     * Every capability where the probe passes (pause, checkpoint and migration through QMP, memory
     * access through the gdbstub, kernel faults inside a guest kernel of its own, qcow2 data disks);
     * none, for the probe's reason, where it fails.
     */
    @Override
    public Capabilities capabilities() {
        ProbeResult p = probe();
        return p.usable() ? Capabilities.all() : Capabilities.none(p.reason());
    }

    /**
     * {@link IncomingLaunch} (the caller then calls {@link org.hpcvirt.backend.Migratable#acceptIncoming})
     * and {@link MemoryAccess.Provider} (QEMU's gdbstub socket in the record's run directory), each its
     * own object.
     */
    @Override
    public <T> Optional<T> capability(Class<T> type) {
        if (type == IncomingLaunch.class) {
            return Optional.of(type.cast(incomingLaunch));
        }
        if (type == MemoryAccess.Provider.class) {
            return Optional.of(type.cast(memoryAccess));
        }
        return Optional.empty();
    }

    /** {@code -incoming defer -S}. */
    private Instance launchIncoming(LaunchSpec spec) {
        // the incoming path only makes the command line say "-incoming defer"; nothing is loaded
        return launch(new LaunchSpec(spec.profile(), spec.runDir(), spec.kernel(), spec.initramfs(), spec.dataDisk(),
                spec.runDir().resolve("incoming"), true), false);
    }

    private Instance launch(LaunchSpec spec, boolean loadIncoming) {
        ProbeResult p = probe();
        if (!p.usable()) {
            throw new HpcvirtException(ErrorCode.BACKEND_UNAVAILABLE, "backend '" + name() + "' cannot run here: " + p.reason());
        }
        if (spec.incoming() != null && loadIncoming) {
            StateSocket.prefetch(spec.incoming());
        }
        Path run = spec.runDir();
        Path qmpSock = run.resolve(QemuCommandLine.QMP_SOCKET);
        Path log = run.resolve("qemu.log");
        Process proc;
        try {
            Files.createDirectories(run);
            for (String f : List.of(QemuCommandLine.QMP_SOCKET, QemuCommandLine.AGENT_SOCKET, QemuCommandLine.GDB_SOCKET, QemuCommandLine.PID_FILE)) {
                Files.deleteIfExists(run.resolve(f));
            }
            Files.deleteIfExists(run.resolve(QemuCommandLine.CONSOLE_LOG));
            if (spec.profile().network() == org.hpcvirt.profile.VmProfile.Network.PRIVATE) {
                networks.attach(spec.profile().name(), spec.profile().privateNetwork());
            }
            List<String> cmd = new ArrayList<>(QemuCommandLine.wrapped(spec, accel));
            if (spec.incoming() != null && !loadIncoming) {
                cmd.addAll(QemuCommandLine.MIGRATION_DESTINATION_ARGS);
            }
            Files.writeString(run.resolve("qemu.cmdline"), String.join("\n", cmd) + "\n");
            proc = new ProcessBuilder(cmd)
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot start QEMU for " + spec.profile().name(), e);
        }
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!Files.exists(qmpSock)) {
            if (!proc.isAlive()) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "QEMU exited at start (" + proc.exitValue() + "): " + tail(log));
            }
            if (System.nanoTime() > deadline) {
                proc.destroyForcibly();
                throw new HpcvirtException(ErrorCode.TIMEOUT, "QEMU did not open its QMP socket within " + START_TIMEOUT.toSeconds() + " s");
            }
            LockSupport.parkNanos(1_000_000L);
        }
        QmpConnection qmp;
        try {
            qmp = QmpConnection.connect(qmpSock, Duration.ofSeconds(10));
        } catch (RuntimeException e) {
            proc.destroyForcibly();
            throw e;
        }
        long pid = proc.pid();
        long ticks = ProcessInfo.of(pid).map(ProcessInfo::startTicks).orElse(0L);
        QemuInstance inst = new QemuInstance(new InstanceRecord(name(), pid, ticks, run), proc, qmp);
        if (spec.profile().partition() != null) {
            // an enclave: each vCPU thread on its own core before the guest runs
            try {
                VcpuPinning.pin(inst, spec.profile().partition().cores());
            } catch (RuntimeException e) {
                inst.kill();
                inst.close();
                throw e;
            }
        }
        if (spec.incoming() != null && loadIncoming) {
            try {
                loadState(inst, spec);
            } catch (RuntimeException e) {
                inst.kill();
                inst.close();
                throw e;
            }
        }
        return inst;
    }

    /** Loads the saved state into a QEMU started with {@code -incoming defer -S}, then runs it unless asked not to. */
    private static void loadState(QemuInstance inst, LaunchSpec spec) {
        inst.loadState(spec.incoming(), spec.incomingSha256(), !spec.startPaused(), Duration.ofMinutes(5));
    }

    @Override
    public Instance attach(InstanceRecord record) {
        if (!ProcessInfo.isAlive(record.pid(), record.startTicks())) {
            throw new HpcvirtException(ErrorCode.NOT_FOUND, "QEMU pid " + record.pid() + " is gone");
        }
        QmpConnection qmp = QmpConnection.connect(record.runDir().resolve(QemuCommandLine.QMP_SOCKET), Duration.ofSeconds(5));
        return new QemuInstance(record, null, qmp);
    }

    private static String tail(Path log) {
        try {
            return lastLine(Files.readString(log).strip());
        } catch (IOException e) {
            return "(no log)";
        }
    }

    private static String lastLine(String s) {
        List<String> lines = new ArrayList<>(s.lines().toList());
        return lines.isEmpty() ? "(no output)" : lines.get(lines.size() - 1);
    }

}
