package org.hpcvirt.enclave;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/**
 * One enclave's cpuset cgroup, {@code hpcvirt/NAME} under the host's cpuset hierarchy: cgroups v1
 * ({@code /sys/fs/cgroup/cpuset}) where it is mounted, else the cgroup2 root with the cpuset
 * controller. The {@code hpcvirt} parent is created when missing and left in place (other parts of
 * hpcvirt share it). Instances are values; the enclave service serialises calls per enclave.
 *
 * @param dir the cgroup's directory
 * @param v2  true on the cgroup2 hierarchy
 */
public record CpusetCgroup(Path dir, boolean v2) {
    static final Path V1_ROOT = Path.of("/sys/fs/cgroup/cpuset");
    static final Path V2_ROOT = Path.of("/sys/fs/cgroup");
    static final String PARENT = "hpcvirt";

    /**
     * The cgroup enclave {@code name} uses on this host.
     *
     * @throws HpcvirtException BACKEND_UNAVAILABLE if the host has no writable cpuset hierarchy
     */
    public static CpusetCgroup forEnclave(String name) {
        if (Files.isRegularFile(V1_ROOT.resolve("cpuset.cpus"))) {
            return new CpusetCgroup(V1_ROOT.resolve(PARENT).resolve(name), false);
        }
        Path controllers = V2_ROOT.resolve("cgroup.controllers");
        try {
            if (Files.isRegularFile(controllers) && List.of(Files.readString(controllers).strip().split(" ")).contains("cpuset")) {
                return new CpusetCgroup(V2_ROOT.resolve(PARENT).resolve(name), true);
            }
        } catch (IOException e) {
            // reported below
        }
        throw new HpcvirtException(ErrorCode.BACKEND_UNAVAILABLE, "this host has no cpuset cgroup hierarchy (neither "
                + V1_ROOT + " nor a cgroup2 root at " + V2_ROOT + " with the cpuset controller)");
    }

    /** The file a process writes its pid into to join. */
    public Path procs() {
        return dir.resolve("cgroup.procs");
    }

    /**
     * Creates the cgroup on {@code cores} with the parent's memory nodes, and asks for
     * exclusive cores when {@code exclusive}.
     *
     * @return the kernel's answer to the exclusivity request: null when it was granted or not asked,
     *         else why not (the cores are then dedicated by admission only)
     * @throws HpcvirtException ALREADY_EXISTS if the cgroup exists (a leftover), OPERATION_FAILED if
     *                          it cannot be made; nothing is left behind then
     */
    public String create(List<Integer> cores, boolean exclusive) {
        Path parent = dir.getParent();
        if (Files.exists(dir)) {
            throw new HpcvirtException(ErrorCode.ALREADY_EXISTS, "cgroup " + dir + " exists already (left by an earlier enclave?);"
                    + " remove it with rmdir once it holds no process");
        }
        try {
            if (!Files.exists(parent)) {
                Files.createDirectory(parent);
                if (!v2) {
                    write(parent.resolve("cpuset.cpus"), read(parent.getParent().resolve("cpuset.cpus")));
                    write(parent.resolve("cpuset.mems"), read(parent.getParent().resolve("cpuset.mems")));
                }
            }
            if (v2) {
                write(parent.getParent().resolve("cgroup.subtree_control"), "+cpuset");
                write(parent.resolve("cgroup.subtree_control"), "+cpuset");
            }
            Files.createDirectory(dir);
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot create cgroup " + dir + ": " + reason(e), e);
        }
        try {
            write(dir.resolve("cpuset.cpus"), cores.stream().map(String::valueOf).collect(Collectors.joining(",")));
            write(dir.resolve("cpuset.mems"), read(parent.resolve(v2 ? "cpuset.mems.effective" : "cpuset.mems")));
        } catch (IOException e) {
            remove(Duration.ofSeconds(1));
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot set cores " + cores + " on cgroup " + dir + ": " + reason(e), e);
        }
        if (!exclusive) {
            return null;
        }
        try {
            write(dir.resolve(v2 ? "cpuset.cpus.partition" : "cpuset.cpu_exclusive"), v2 ? "root" : "1");
            return null;
        } catch (IOException e) {
            return "the kernel refused " + (v2 ? "cpuset.cpus.partition=root" : "cpuset.cpu_exclusive=1") + " (" + reason(e)
                    + "): the parent " + parent + " is not exclusive or a sibling cgroup shares these cores";
        }
    }

    /** True if the cgroup exists. */
    public boolean exists() {
        return Files.isDirectory(dir);
    }

    /** {@code cpuset.cpus} as the kernel holds it. */
    public String cpus() {
        return readOrDash("cpuset.cpus");
    }

    /** {@code cpuset.effective_cpus} (v1) or {@code cpuset.cpus.effective} (v2). */
    public String effectiveCpus() {
        return readOrDash(v2 ? "cpuset.cpus.effective" : "cpuset.effective_cpus");
    }

    /** {@code cpuset.mems}. */
    public String mems() {
        return readOrDash("cpuset.mems");
    }

    /** Whether the cores are exclusive to this cgroup as the kernel says ({@code cpu_exclusive} or partition root). */
    public boolean exclusive() {
        String v = readOrDash(v2 ? "cpuset.cpus.partition" : "cpuset.cpu_exclusive");
        return v2 ? v.startsWith("root") : "1".equals(v);
    }

    /** The pids in the cgroup. */
    public List<Long> pids() {
        try {
            return Files.readAllLines(procs()).stream().filter(l -> !l.isBlank()).map(l -> Long.parseLong(l.strip())).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /**
     * Removes the cgroup, waiting up to {@code wait} for its processes to be gone (a killed QEMU
     * takes a moment). Does nothing when it does not exist.
     *
     * @throws HpcvirtException OPERATION_FAILED naming the pids still inside
     */
    public void remove(Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        while (Files.exists(dir)) {
            try {
                Files.delete(dir);
                return;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot remove cgroup " + dir + ": " + reason(e)
                            + (pids().isEmpty() ? "" : "; processes still inside: " + pids()));
                }
                LockSupport.parkNanos(20_000_000L);
            }
        }
    }

    private String readOrDash(String file) {
        try {
            return read(dir.resolve(file));
        } catch (IOException e) {
            return "-";
        }
    }

    private static String read(Path p) throws IOException {
        return Files.readString(p).strip();
    }

    private static void write(Path p, String value) throws IOException {
        Files.writeString(p, value);
    }

    private static String reason(IOException e) {
        String m = e.getMessage();
        return e instanceof java.nio.file.FileSystemException f && f.getReason() != null ? f.getReason() : m == null ? e.getClass().getSimpleName() : m;
    }
}
