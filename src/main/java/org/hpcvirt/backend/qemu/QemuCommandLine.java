package org.hpcvirt.backend.qemu;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.hpcvirt.backend.LaunchSpec;
import org.hpcvirt.network.PrivateNetwork;
import org.hpcvirt.profile.VmProfile;

/**
 * Builds QEMU's argument list from a {@link LaunchSpec}. Pure: no I/O, so it is unit-tested and
 * reused by the benchmark's raw-QEMU baseline. The list is handed to {@link ProcessBuilder} as is —
 * never joined into a shell string.
 */
public final class QemuCommandLine {
    /** Name of the virtio-serial port the guest agent opens. */
    public static final String AGENT_PORT = "org.hpcvirt.agent";
    public static final String QMP_SOCKET = "qmp.sock";
    public static final String AGENT_SOCKET = "agent.sock";
    public static final String CONSOLE_LOG = "console.log";
    public static final String PID_FILE = "qemu.pid";
    /** gdb remote-protocol socket (QEMU's gdbstub), used by soft-error injection. */
    public static final String GDB_SOCKET = "gdb.sock";

    /** How the guest is accelerated. */
    public enum Accel { TCG, KVM }

    private QemuCommandLine() {
    }

    /** The QEMU binary: {@code $HPCVIRT_QEMU} if set, else {@code qemu-system-x86_64} from PATH. */
    public static String binary() {
        return org.hpcvirt.api.NodeConfig.current().qemuBinary();
    }

    /** The guest kernel command line hpcvirt uses, followed by the profile's additions. */
    public static String kernelCommandLine(VmProfile p) {
        StringBuilder sb = new StringBuilder("console=ttyS0 quiet panic=0 hpcvirt.name=").append(p.name())
                .append(" hpcvirt.hb=").append(p.heartbeatInterval().toMillis());
        if (p.network() != VmProfile.Network.NONE) {
            sb.append(" hpcvirt.net=").append(p.network().name().toLowerCase(java.util.Locale.ROOT));
        }
        if (p.disk() != null) {
            sb.append(" hpcvirt.disk=data");
        }
        if (!p.kernelArgs().isBlank()) {
            sb.append(' ').append(p.kernelArgs().trim());
        }
        return sb.toString();
    }

    /** QEMU's own arguments (without any wrapper such as setsid or taskset). */
    /**
     * Extra arguments of a QEMU that waits for a live migration: all guest RAM is allocated and
     * touched at start, before the source begins to stream, instead of page by page while the
     * state arrives. QEMU 7.2 loads in its main thread, and a first touch of a 2 MiB page can be
     * slow (on the test machine, itself a VM that returns freed memory to its host, some faults
     * cost ~10 ms each). The cost does not vanish: it moves into the destination's start-up,
     * which the source waits for before it streams, so the migration itself (total time,
     * downtime) no longer pays it. Not used for restores, where start-up and load are both on the
     * clock.
     */
    public static final List<String> MIGRATION_DESTINATION_ARGS = List.of("-mem-prealloc");

    public static List<String> build(LaunchSpec spec, Accel accel) {
        VmProfile p = spec.profile();
        Path run = spec.runDir();
        List<String> a = new ArrayList<>();
        a.add(binary());
        a.add("-name");
        a.add("guest=" + p.name() + ",process=hpcvirt-" + p.name());
        a.add("-machine");
        a.add("q35,accel=" + (accel == Accel.KVM ? "kvm" : "tcg"));
        a.add("-cpu");
        a.add(accel == Accel.KVM ? "host" : "max");
        a.add("-m");
        a.add(p.memoryBytes() / (1024 * 1024) + "M");
        a.add("-smp");
        a.add(Integer.toString(p.cpus()));
        a.add("-nodefaults");
        a.add("-no-user-config");
        a.add("-display");
        a.add("none");
        a.add("-kernel");
        a.add(spec.kernel().toString());
        a.add("-initrd");
        a.add(spec.initramfs().toString());
        a.add("-append");
        a.add(kernelCommandLine(p));
        a.add("-serial");
        a.add("file:" + run.resolve(CONSOLE_LOG));
        a.add("-qmp");
        a.add("unix:" + run.resolve(QMP_SOCKET) + ",server=on,wait=off");
        a.add("-device");
        a.add("virtio-serial-pci,id=vser0");
        a.add("-chardev");
        a.add("socket,id=agent,path=" + run.resolve(AGENT_SOCKET) + ",server=on,wait=off");
        a.add("-device");
        a.add("virtserialport,bus=vser0.0,chardev=agent,name=" + AGENT_PORT);
        a.add("-device");
        a.add("pvpanic-pci");
        // Keep a panicked guest for inspection; the daemon records GUEST_PANICKED.
        a.add("-action");
        a.add("panic=pause");
        // A guest reboot ends the instance: the daemon decides what happens next, not the guest.
        a.add("-action");
        a.add("reboot=shutdown");
        if (spec.dataDisk() != null) {
            a.add("-drive");
            a.add("file=" + spec.dataDisk() + ",if=none,id=data,format=qcow2,cache=writeback");
            a.add("-device");
            a.add("virtio-blk-pci,drive=data,id=datadisk");
        }
        if (p.network() == VmProfile.Network.USER) {
            a.add("-netdev");
            a.add("user,id=net0");
            a.add("-device");
            a.add("virtio-net-pci,netdev=net0");
        }
        if (p.network() == VmProfile.Network.PRIVATE) {
            // the daemon made the tap and put it on the network's bridge; QEMU only opens it
            a.add("-netdev");
            a.add("tap,id=net0,ifname=" + PrivateNetwork.tapOf(p.name()) + ",script=no,downscript=no");
            a.add("-device");
            a.add("virtio-net-pci,netdev=net0,mac=" + PrivateNetwork.macOf(p.name()));
        }
        // QEMU's gdbstub on a private socket: soft-error injection reads and writes guest memory and
        // registers through it. Idle unless a client connects.
        a.add("-chardev");
        a.add("socket,id=gdb0,path=" + run.resolve(GDB_SOCKET) + ",server=on,wait=off");
        a.add("-gdb");
        a.add("chardev:gdb0");
        a.add("-pidfile");
        a.add(run.resolve(PID_FILE).toString());
        if (spec.incoming() != null) {
            a.add("-incoming");
            a.add("defer");
        }
        if (spec.startPaused() || spec.incoming() != null) {
            a.add("-S");
        }
        a.addAll(partitionArgs(p));
        return a;
    }

    /** Id of an enclave's guest memory backend. */
    public static final String ENCLAVE_RAM = "enclave-ram";
    /** QEMU's seccomp sandbox as an enclave uses it: no spawning, no privilege or scheduler changes, no obsolete calls. */
    public static final String SANDBOX = "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny";

    /**
     * The arguments an enclave's partition adds (none for an ordinary VM): guest memory from one
     * memory backend (ordinary or huge pages from a memfd, preallocated when asked), locked guest
     * memory, the seccomp sandbox, and one {@code ivshmem-plain} device per shared-memory link over a
     * {@code memory-backend-file} with {@code share=on}, with {@code master=on} so that the enclave
     * can be checkpointed (its state then holds the segment, and a restore writes it back). Placement on cores is not here: see
     * {@link #wrapped} (cgroup) and {@code VcpuPinning} (vCPU threads).
     */
    public static List<String> partitionArgs(VmProfile p) {
        VmProfile.Partition q = p.partition();
        if (q == null) {
            return List.of();
        }
        List<String> a = new ArrayList<>();
        a.add("-machine");
        a.add("memory-backend=" + ENCLAVE_RAM);
        a.add("-object");
        String prealloc = ",prealloc=" + (q.memPrealloc() ? "on" : "off");
        a.add(q.hugePageBytes() > 0
                ? "memory-backend-memfd,id=" + ENCLAVE_RAM + ",size=" + p.memoryBytes() + ",hugetlb=on,hugetlbsize=" + q.hugePageBytes() + prealloc
                : "memory-backend-ram,id=" + ENCLAVE_RAM + ",size=" + p.memoryBytes() + prealloc);
        if (q.memLock()) {
            a.add("-overcommit");
            a.add("mem-lock=on");
        }
        if (q.sandbox()) {
            a.add("-sandbox");
            a.add(SANDBOX);
        }
        for (VmProfile.SharedMemory link : q.links()) {
            a.add("-object");
            a.add("memory-backend-file,id=shm-" + link.name() + ",size=" + link.sizeBytes() + ",mem-path=" + link.path() + ",share=on");
            a.add("-device");
            // master=on: the device migrates, its state carrying the segment's content (QEMU refuses to migrate a peer)
            a.add("ivshmem-plain,memdev=shm-" + link.name() + ",id=ivshmem-" + link.name() + ",master=on");
        }
        return a;
    }

    /**
     * The full argument list to run: QEMU in its own session (so it outlives the daemon and is not
     * hit by signals sent to the daemon's process group), pinned with taskset if the profile asks,
     * and, for an enclave, inside its cgroup from its first instruction.
     */
    public static List<String> wrapped(LaunchSpec spec, Accel accel) {
        List<String> a = new ArrayList<>();
        a.add("setsid");
        VmProfile.Partition q = spec.profile().partition();
        if (q != null && q.cgroupProcs() != null) {
            // the shell joins the enclave's cgroup and becomes QEMU: no QEMU thread ever runs outside it.
            // QEMU's arguments stay separate words ("$@"), never a shell string.
            a.add("sh");
            a.add("-c");
            a.add("echo $$ > \"$0\" && exec \"$@\"");
            a.add(q.cgroupProcs());
        }
        if (!spec.profile().pinning().isEmpty()) {
            a.add("taskset");
            a.add("-c");
            a.add(spec.profile().pinning().stream().map(String::valueOf).collect(Collectors.joining(",")));
        }
        a.addAll(build(spec, accel));
        return a;
    }
}
