package org.hpcvirt.backend.container;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.hpcvirt.profile.VmProfile;

/**
 * Builds the OCI runtime configuration ({@code config.json}, OCI runtime spec 1.0) of one container
 * from a profile. Pure: no I/O, so it is unit-tested; {@link ContainerBackend} writes it with
 * Jackson. The container runs the golden image's userland read-only, with the guest agent under a
 * small shell init (see {@code guest/container-init}), and:
 * <ul>
 *   <li>cgroup limits from the profile: {@code cpus} as a CFS quota of that many CPUs, the
 *       profile's pinning as a cpuset, {@code memory} as a hard memory limit with no swap on top;</li>
 *   <li>the agent channel as a Unix socket in {@value #CHANNEL_DIR}, a bind mount of a directory
 *       of the instance's run directory, so the daemon connects to it from the host;</li>
 *   <li>its own pid, mount, IPC, UTS and network namespaces (the network one has loopback only);</li>
 *   <li>the runtime's default capability set and no new privileges.</li>
 * </ul>
 */
public final class OciConfig {
    /** Where the agent's socket directory is mounted inside the container. */
    public static final String CHANNEL_DIR = "/run/hpcvirt";
    /** The agent's socket inside the container. */
    public static final String AGENT_SOCKET = CHANNEL_DIR + "/agent.sock";
    /** CFS period used for the CPU quota, in microseconds. */
    public static final long CPU_PERIOD_US = 100_000;
    /** Capabilities of the container's processes: the set that runc and crun give by default. */
    static final List<String> CAPABILITIES = List.of("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER",
            "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
            "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE");

    private OciConfig() {
    }

    /**
     * The configuration as a JSON tree of maps and lists.
     *
     * @param profile     the validated profile (name, cpus, memory, pinning, heartbeat interval)
     * @param rootfs      the unpacked userland (mounted read-only)
     * @param channelDir  host directory mounted at {@value #CHANNEL_DIR}
     * @param initScript  the shell init run as the container's PID 1 ({@code sh -c initScript})
     * @param bootId      the identity of this start, reported by the agent as its boot id
     * @param cgroupsPath the container's cgroup path relative to each hierarchy's root
     */
    public static Map<String, Object> build(VmProfile profile, Path rootfs, Path channelDir, String initScript, String bootId,
                                            String cgroupsPath) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("ociVersion", "1.0.2");
        Map<String, Object> process = new LinkedHashMap<>();
        process.put("terminal", false);
        process.put("user", Map.of("uid", 0, "gid", 0));
        process.put("args", List.of("/bin/sh", "-c", initScript));
        process.put("env", List.of("PATH=/bin:/sbin", "HOME=/", "HPCVIRT_AGENT_SOCKET=" + AGENT_SOCKET,
                "HPCVIRT_HB_MS=" + profile.heartbeatInterval().toMillis(), "HPCVIRT_BOOT_ID=" + bootId,
                "HPCVIRT_NAME=" + profile.name()));
        process.put("cwd", "/");
        process.put("capabilities", Map.of("bounding", CAPABILITIES, "effective", CAPABILITIES, "permitted", CAPABILITIES));
        process.put("rlimits", List.of(Map.of("type", "RLIMIT_NOFILE", "hard", 4096, "soft", 4096)));
        process.put("noNewPrivileges", true);
        c.put("process", process);
        c.put("root", Map.of("path", rootfs.toAbsolutePath().toString(), "readonly", true));
        c.put("hostname", profile.name());
        c.put("mounts", mounts(channelDir));
        Map<String, Object> linux = new LinkedHashMap<>();
        linux.put("namespaces", List.of(Map.of("type", "pid"), Map.of("type", "mount"), Map.of("type", "ipc"),
                Map.of("type", "uts"), Map.of("type", "network")));
        linux.put("cgroupsPath", cgroupsPath);
        linux.put("resources", resources(profile));
        linux.put("maskedPaths", List.of("/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware"));
        linux.put("readonlyPaths", List.of("/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                "/proc/sysrq-trigger"));
        c.put("linux", linux);
        return c;
    }

    /** The cgroup limits: CPU quota (and cpuset when pinned), memory limit without extra swap, a pids cap. */
    static Map<String, Object> resources(VmProfile profile) {
        Map<String, Object> r = new LinkedHashMap<>();
        Map<String, Object> cpu = new LinkedHashMap<>();
        cpu.put("quota", profile.cpus() * CPU_PERIOD_US);
        cpu.put("period", CPU_PERIOD_US);
        if (!profile.pinning().isEmpty()) {
            cpu.put("cpus", profile.pinning().stream().map(String::valueOf).collect(Collectors.joining(",")));
        }
        r.put("cpu", cpu);
        r.put("memory", Map.of("limit", profile.memoryBytes(), "swap", profile.memoryBytes()));
        r.put("pids", Map.of("limit", 1024));
        r.put("devices", List.of(Map.of("allow", false, "access", "rwm")));
        return r;
    }

    private static List<Map<String, Object>> mounts(Path channelDir) {
        List<Map<String, Object>> m = new ArrayList<>();
        m.add(mount("/proc", "proc", "proc", List.of("nosuid", "noexec", "nodev")));
        m.add(mount("/dev", "tmpfs", "tmpfs", List.of("nosuid", "strictatime", "mode=755", "size=65536k")));
        m.add(mount("/dev/pts", "devpts", "devpts", List.of("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620")));
        m.add(mount("/dev/shm", "tmpfs", "shm", List.of("nosuid", "noexec", "nodev", "mode=1777", "size=65536k")));
        m.add(mount("/dev/mqueue", "mqueue", "mqueue", List.of("nosuid", "noexec", "nodev")));
        m.add(mount("/sys", "sysfs", "sysfs", List.of("nosuid", "noexec", "nodev", "ro")));
        m.add(mount("/tmp", "tmpfs", "tmpfs", List.of("nosuid", "nodev", "mode=1777", "size=65536k")));
        m.add(mount(CHANNEL_DIR, "bind", channelDir.toAbsolutePath().toString(), List.of("rbind", "rw", "nosuid", "nodev", "noexec")));
        return m;
    }

    private static Map<String, Object> mount(String destination, String type, String source, List<String> options) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("destination", destination);
        m.put("type", type);
        m.put("source", source);
        m.put("options", options);
        return m;
    }
}
