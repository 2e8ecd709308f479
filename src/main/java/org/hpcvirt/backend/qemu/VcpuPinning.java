package org.hpcvirt.backend.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;

/**
 * Pins each vCPU thread of a QEMU to its own host core and reads the pinning back. The thread ids
 * come from QMP {@code query-cpus-fast}; the affinity is set with {@code taskset -p} (which calls
 * {@code sched_setaffinity} on the thread) and read from {@code /proc/PID/task/TID/status}, so
 * what is reported is what the kernel holds. Stateless; callers serialise on the instance.
 */
public final class VcpuPinning {
    private VcpuPinning() {
    }

    /**
     * One vCPU thread.
     *
     * @param index    QEMU's cpu-index
     * @param threadId the host thread id
     * @param affinity the host cores the thread may run on, as the kernel reports them
     */
    public record VcpuThread(int index, long threadId, List<Integer> affinity) {
        public VcpuThread {
            affinity = List.copyOf(affinity);
        }
    }

    /** The vCPU threads of {@code inst} with their current affinity, in cpu-index order. */
    public static List<VcpuThread> threads(QemuInstance inst) {
        JsonNode cpus = inst.execute("query-cpus-fast", Map.of());
        List<VcpuThread> out = new ArrayList<>();
        for (JsonNode c : cpus) {
            long tid = c.path("thread-id").asLong();
            out.add(new VcpuThread(c.path("cpu-index").asInt(), tid, affinity(inst.pid(), tid)));
        }
        out.sort(java.util.Comparator.comparingInt(VcpuThread::index));
        return out;
    }

    /**
     * Pins vCPU {@code i} to {@code cores.get(i)} and checks the kernel took it.
     *
     * @throws HpcvirtException OPERATION_FAILED if QEMU has another number of vCPUs, taskset fails
     *                          or the affinity read back differs
     */
    public static List<VcpuThread> pin(QemuInstance inst, List<Integer> cores) {
        List<VcpuThread> threads = threads(inst);
        if (threads.size() != cores.size()) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "QEMU reports " + threads.size() + " vCPU thread(s), the enclave has "
                    + cores.size() + " core(s)");
        }
        List<VcpuThread> out = new ArrayList<>();
        for (VcpuThread t : threads) {
            int core = cores.get(t.index());
            taskset(t.threadId(), core);
            List<Integer> now = affinity(inst.pid(), t.threadId());
            if (!now.equals(List.of(core))) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "vCPU " + t.index() + " (thread " + t.threadId()
                        + ") runs on cores " + now + " after pinning it to core " + core);
            }
            out.add(new VcpuThread(t.index(), t.threadId(), now));
        }
        return out;
    }

    /** The cores thread {@code tid} of process {@code pid} may run on; empty if the thread is gone. */
    public static List<Integer> affinity(long pid, long tid) {
        Path status = Path.of("/proc", Long.toString(pid), "task", Long.toString(tid), "status");
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("Cpus_allowed_list:")) {
                    return org.hpcvirt.api.CpuList.parse(line.substring(line.indexOf(':') + 1));
                }
            }
            return List.of();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static void taskset(long tid, int core) {
        try {
            Process p = new ProcessBuilder("taskset", "-p", "-c", Integer.toString(core), Long.toString(tid))
                    .redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new HpcvirtException(ErrorCode.TIMEOUT, "taskset did not finish pinning thread " + tid);
            }
            if (p.exitValue() != 0) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "taskset could not pin thread " + tid + " to core " + core + ": "
                        + out.lines().reduce((a, b) -> b).orElse("exit " + p.exitValue()));
            }
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot run taskset", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "interrupted while pinning vCPU threads", e);
        }
    }
}
