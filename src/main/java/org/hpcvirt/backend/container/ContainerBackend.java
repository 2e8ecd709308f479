package org.hpcvirt.backend.container;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.backend.Backend;
import org.hpcvirt.backend.Capabilities;
import org.hpcvirt.backend.Capability;
import org.hpcvirt.backend.Instance;
import org.hpcvirt.backend.InstanceRecord;
import org.hpcvirt.backend.LaunchSpec;
import org.hpcvirt.backend.ProbeResult;
import org.hpcvirt.backend.ProcessInfo;
import org.hpcvirt.profile.VmProfile;

/**
 * The {@code container} backend: the golden image's userland and guest agent in an OCI container
 * run by {@code crun}, on the host kernel. cgroup limits carry the profile's cpus and memory, the
 * agent channel is a Unix socket in a bind-mounted directory (the daemon connects to it as to
 * QEMU's), pause and resume go through the freezer ({@code crun pause}). What a container cannot do
 * is in {@link #capabilities()}, each with its reason; checkpoint/restore needs CRIU, and the probe
 * runs {@code criu check} to say why it is absent. Thread-safe; the probe is cached.
 */
public final class ContainerBackend implements Backend {
    /** Name in profiles. */
    public static final String NAME = "container";
    static final String INIT_RESOURCE = "/guest/container-init";
    private static final Pattern VERSION = Pattern.compile("crun version (\\S+)");
    private static final Pattern CRIU_ERROR_PREFIX = Pattern.compile("^Error \\([^)]*\\):\\s*");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private volatile ProbeResult probe;
    private volatile String checkpointAbsence;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "OCI container run by crun on the host kernel (cgroups, freezer)";
    }

    @Override
    public ProbeResult probe() {
        ProbeResult p = probe;
        if (p == null) {
            synchronized (this) {
                if (probe == null) {
                    probe = doProbe();
                    checkpointAbsence = criuAbsence();
                }
                p = probe;
            }
        }
        return p;
    }

    private static ProbeResult doProbe() {
        Crun.Result v;
        try {
            v = Crun.run(List.of("--version"), Duration.ofSeconds(10));
        } catch (HpcvirtException e) {
            return ProbeResult.unusable(Crun.binary() + " not found (install crun)", "");
        }
        if (!v.ok()) {
            return ProbeResult.unusable(Crun.binary() + " --version failed: " + v.lastLine(), "");
        }
        Matcher m = VERSION.matcher(v.output());
        String version = m.find() ? m.group(1) : "unknown";
        String cgroups = cgroupProblem();
        if (cgroups != null) {
            return ProbeResult.unusable(cgroups, version);
        }
        return ProbeResult.ok(version);
    }

    /**
     * Why cgroups cannot hold a container's limits here, or null: the cpu, memory and freezer
     * controllers of cgroups v1 (or a cgroup2 root with them) must be mounted and writable, which
     * needs root; on v1, the cgroup2 hierarchy beside it must hold no controller (crun refuses this
     * "hybrid" mode otherwise).
     */
    static String cgroupProblem() {
        Path root = Path.of("/sys/fs/cgroup");
        if (Files.exists(root.resolve("cgroup.controllers"))) {
            try {
                String ctl = Files.readString(root.resolve("cgroup.controllers"));
                for (String c : List.of("cpu", "memory")) {
                    if (!List.of(ctl.strip().split("\\s+")).contains(c)) {
                        return "cgroup2 controller '" + c + "' is not enabled at " + root;
                    }
                }
            } catch (IOException e) {
                return "cannot read " + root.resolve("cgroup.controllers") + ": " + e.getMessage();
            }
            return Files.isWritable(root) ? null : root + " is not writable (run the daemon as root)";
        }
        // hybrid mode: crun refuses to run while the cgroup2 hierarchy holds any controller
        Path unified = root.resolve("unified").resolve("cgroup.controllers");
        if (Files.exists(unified)) {
            try {
                String held = Files.readString(unified).strip();
                if (!held.isEmpty()) {
                    return "cgroups v1 with cgroup2 holding controllers (" + held + ") at " + unified.getParent()
                            + ": crun needs them on v1 (mount -t cgroup -o " + held.split("\\s+")[0] + " cgroup "
                            + root + "/" + held.split("\\s+")[0] + "; scripts/setup.sh does it)";
                }
            } catch (IOException e) {
                return "cannot read " + unified + ": " + e.getMessage();
            }
        }
        for (String c : List.of("cpu", "memory", "freezer")) {
            Path d = root.resolve(c);
            if (!Files.isDirectory(d)) {
                return "cgroup v1 controller '" + c + "' is not mounted at " + d;
            }
            if (!Files.isWritable(d)) {
                return d + " is not writable (run the daemon as root)";
            }
        }
        return null;
    }

    /**
     * Why containers cannot be checkpointed here: CRIU missing, {@code criu check} failing (its first
     * error line), or — where it passes — that this backend does not drive CRIU yet.
     */
    private static String criuAbsence() {
        Path criu = null;
        for (String dir : List.of("/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin")) {
            if (Files.isExecutable(Path.of(dir, "criu"))) {
                criu = Path.of(dir, "criu");
                break;
            }
        }
        if (criu == null) {
            return "criu not installed";
        }
        try {
            Process p = new ProcessBuilder(criu.toString(), "check").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "criu check did not finish within 30 s";
            }
            String first = out.lines().filter(l -> l.startsWith("Error")).findFirst()
                    .orElse(out.lines().filter(l -> !l.isBlank()).findFirst().orElse(""));
            boolean failed = p.exitValue() != 0 || out.contains("Error");
            if (failed) {
                return "criu check fails here: " + CRIU_ERROR_PREFIX.matcher(first.strip()).replaceFirst("");
            }
            return "criu check passes, but this backend does not drive crun checkpoint/restore yet";
        } catch (IOException e) {
            return "criu check cannot be run: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "criu check interrupted";
        }
    }

    /**
     * Lifecycle and pause where the probe passes. Absent, with reasons: checkpoint (CRIU, see
     * {@link #criuAbsence()}), migrate (needs checkpoint), memory access and kernel faults (there is
     * no guest kernel or VMM: the kernel under the container is the host's), data disk (a qcow2 image
     * is a block device only a VM attaches).
     */
    @Override
    public Capabilities capabilities() {
        ProbeResult p = probe();
        if (!p.usable()) {
            return Capabilities.none(p.reason());
        }
        return Capabilities.all()
                .without(Capability.CHECKPOINT, checkpointAbsence)
                .without(Capability.MIGRATE, "live migration of a container needs CRIU checkpoint/restore (" + checkpointAbsence + ")")
                .without(Capability.MEMORY_ACCESS, "no VMM holds the workload's memory: there is no guest-physical memory"
                        + " or vCPU to read, only host processes")
                .without(Capability.KERNEL_FAULTS, "the guest kernel is the host kernel (E-Zone 3 is E-Zone 1):"
                        + " a kernel fault would take the node down")
                .without(Capability.DATA_DISK, "a data disk is a qcow2 image attached as a block device, which only a VM has");
    }

    @Override
    public Instance launch(LaunchSpec spec) {
        ProbeResult p = probe();
        if (!p.usable()) {
            throw new HpcvirtException(ErrorCode.BACKEND_UNAVAILABLE, "backend '" + NAME + "' cannot run here: " + p.reason());
        }
        VmProfile profile = spec.profile();
        Capabilities caps = capabilities();
        if (spec.dataDisk() != null || profile.disk() != null) {
            caps.require(Capability.DATA_DISK, NAME, "profile '" + profile.name() + "' asks for a data disk");
        }
        if (spec.incoming() != null) {
            caps.require(Capability.CHECKPOINT, NAME, "restoring '" + profile.name() + "' from saved state");
        }
        if (profile.network() != VmProfile.Network.NONE) {
            throw new HpcvirtException(ErrorCode.REFUSED, "profile '" + profile.name() + "' asks for network '"
                    + profile.network().name().toLowerCase() + "': backend '" + NAME
                    + "' has none (a container gets loopback only; use network: none)");
        }
        Path rootfs = ContainerRootfs.of(spec.initramfs());
        Path run = spec.runDir();
        String id = "hpcvirt-" + profile.name() + "-" + UUID.randomUUID().toString().substring(0, 8);
        Path bundle = run.resolve("bundle");
        Path channel = run.resolve(ContainerInstance.CHANNEL_DIR);
        Path console = run.resolve(ContainerInstance.CONSOLE_LOG);
        Path pidFile = run.resolve("container.pid");
        try {
            Files.createDirectories(bundle);
            Files.createDirectories(channel);
            Files.deleteIfExists(console);
            Files.deleteIfExists(pidFile);
            Files.deleteIfExists(channel.resolve("agent.sock"));
            Files.writeString(run.resolve(ContainerInstance.ID_FILE), id + "\n");
            JSON.writeValue(bundle.resolve("config.json").toFile(), OciConfig.build(profile, rootfs, channel, initScript(),
                    UUID.randomUUID().toString(), "/hpcvirt/" + id));
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot prepare the bundle of " + profile.name() + ": " + e.getMessage(), e);
        }
        List<String> cmd = new ArrayList<>(List.of(Crun.binary(), "run", "--detach", "--bundle", bundle.toString(),
                "--pid-file", pidFile.toString(), id));
        try {
            // crun hands its stdout and stderr to the container's init: they are the console log
            Process proc = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(console.toFile())).start();
            if (!proc.waitFor(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                proc.destroyForcibly();
                Crun.deleteQuietly(id);
                throw new HpcvirtException(ErrorCode.TIMEOUT, "crun run " + id + " did not return within " + START_TIMEOUT.toSeconds() + " s");
            }
            if (proc.exitValue() != 0) {
                Crun.deleteQuietly(id);
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "crun run " + id + " failed (" + proc.exitValue() + "): "
                        + lastLine(console));
            }
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.BACKEND_UNAVAILABLE, "cannot run " + Crun.binary() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            Crun.deleteQuietly(id);
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "interrupted while starting container " + id);
        }
        long pid = Crun.state(id).map(Crun.State::pid).orElse(0L);
        if (pid <= 0) {
            Crun.deleteQuietly(id);
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "container " + id + " exited at start: " + lastLine(console));
        }
        long ticks = ProcessInfo.of(pid).map(ProcessInfo::startTicks).orElse(0L);
        return new ContainerInstance(new InstanceRecord(NAME, pid, ticks, run), id);
    }

    /** Finds the container by the id recorded in the run directory and checks that its init is the recorded process. */
    @Override
    public Instance attach(InstanceRecord record) {
        String id;
        try {
            id = Files.readString(record.runDir().resolve(ContainerInstance.ID_FILE)).strip();
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.NOT_FOUND, "container of " + record.runDir() + " is gone (no "
                    + ContainerInstance.ID_FILE + ")");
        }
        Crun.State s = Crun.state(id).orElseThrow(() -> new HpcvirtException(ErrorCode.NOT_FOUND, "container " + id + " is gone"));
        if (s.pid() != record.pid() || !ProcessInfo.isAlive(record.pid(), record.startTicks())) {
            throw new HpcvirtException(ErrorCode.NOT_FOUND, "container " + id + " is gone (crun: " + s.status() + ", pid " + s.pid()
                    + ", recorded pid " + record.pid() + ")");
        }
        return new ContainerInstance(record, id);
    }

    static String initScript() {
        try (InputStream in = ContainerBackend.class.getResourceAsStream(INIT_RESOURCE)) {
            if (in == null) {
                throw new HpcvirtException(ErrorCode.INTERNAL, "guest source " + INIT_RESOURCE + " missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.INTERNAL, "cannot read " + INIT_RESOURCE, e);
        }
    }

    private static String lastLine(Path log) {
        try {
            List<String> l = Files.readString(log).strip().lines().filter(s -> !s.isBlank()).toList();
            return l.isEmpty() ? "(no output)" : l.get(l.size() - 1);
        } catch (IOException e) {
            return "(no output)";
        }
    }
}
