package org.hpcvirt.vm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Operation;
import org.hpcvirt.api.VmEvent;
import org.hpcvirt.api.VmState;
import org.hpcvirt.backend.Backend;
import org.hpcvirt.backend.Checkpointable;
import org.hpcvirt.backend.DefinitionExport;
import org.hpcvirt.backend.Instance;
import org.hpcvirt.backend.LaunchSpec;
import org.hpcvirt.guest.CounterReading;
import org.hpcvirt.guest.ExecResult;
import org.hpcvirt.guest.GuestChannel;
import org.hpcvirt.guest.Image;
import org.hpcvirt.guest.ImageStore;
import org.hpcvirt.profile.VmProfile;

/**
 * The lifecycle operations of a VM: start from power-off, pause, resume, stop, destroy, and the
 * guest agent's exec and counter. Each checks its precondition under the VM's monitor and makes
 * its transitions there; waiting for a guest (heartbeat, power-off) happens outside the monitor.
 * Thread-safe.
 */
public final class Lifecycle {
    private static final Duration CHANNEL_TIMEOUT = Duration.ofSeconds(10);

    private final VmRegistry vms;
    private final InstanceWatch watch;
    private final ImageStore images;

    public Lifecycle(VmRegistry vms, InstanceWatch watch, ImageStore images) {
        this.vms = vms;
        this.watch = watch;
        this.images = images;
    }

    /**
     * See {@link Operation.Define}. A profile with a fault-tolerance policy (other than
     * {@code none}) on a backend that lacks checkpoints is REFUSED before anything is defined:
     * every policy family checkpoints (reactive and hybrid periodically, proactive to pause to
     * storage).
     */
    public VmStatus define(VmProfile profile, String owner) {
        VmProfile.FtSettings ft = profile.ft();
        if (ft != null && !"none".equals(ft.policy())
                && !vms.backends().has(profile.backend(), Checkpointable.class)) {
            throw vms.backends().lacking(profile.backend(), Checkpointable.class, "defining '" + profile.name() + "' with fault-tolerance policy '"
                    + (ft.policy() == null ? "(default)" : ft.policy()) + "'");
        }
        return vms.status(vms.define(profile, owner));
    }

    /** See {@link Operation.Start}. With {@code wait}, fails if the guest crashes first or the timeout passes (it stays STARTING). */
    public VmStatus start(Operation.Start op) {
        ManagedVm vm = vms.get(op.name());
        CompletableFuture<VmState> started;
        synchronized (vm) {
            Preconditions.require(Operation.Start.class, vm.name(), vm.state());
            VmProfile p = vm.profile();
            Backend backend = vms.backends().usable(p.backend());
            vms.backends().requireSupported(p);
            Image image = images.get(p.image());
            Path disk = p.disk() == null ? null : ensureDataDisk(image, p);
            watch.enterStarting(vm, VmEvent.Type.STATE_CHANGED, "starting on backend " + backend.name(), Map.of());
            Instance inst;
            try {
                inst = backend.launch(new LaunchSpec(p, vms.layout().runDir(vm.name()), image.kernel(), image.initramfs(), disk, null,
                        false));
            } catch (HpcvirtException e) {
                vms.publish(vm, VmEvent.Type.ERROR, "start failed: " + e.getMessage(), Map.of());
                vms.move(vm, VmState.STOPPED, VmEvent.Type.STATE_CHANGED, "start failed", Map.of());
                throw e;
            }
            watch.adopt(vm, inst);
            started = vm.started;
        }
        watch.connectChannel(vm);
        return watch.awaitStarted(vm, started, op.waitForHeartbeat(), Duration.ofSeconds(op.timeoutSeconds()), "booting");
    }

    /**
     * See {@link Operation.Export}: the definition the backend named by the format would launch for
     * this VM (its run directory, image and data disk path as a start would use them; nothing is
     * created). INVALID_INPUT naming the formats there are if no backend of that name exports.
     */
    public VmExport export(Operation.Export op) {
        ManagedVm vm = vms.get(op.name());
        VmProfile p = vm.profile();
        String format = op.format() == null ? "libvirt" : op.format();
        List<String> known = vms.backends().all().stream().filter(b -> b.capability(DefinitionExport.class).isPresent())
                .map(Backend::name).toList();
        DefinitionExport export = vms.backends().all().stream().filter(b -> b.name().equals(format)).findFirst()
                .flatMap(b -> b.capability(DefinitionExport.class))
                .orElseThrow(() -> HpcvirtException.invalid("unknown export format '" + format + "' (known: "
                        + String.join(", ", known) + ")"));
        Image image = images.get(p.image());
        Path disk = p.disk() == null ? null : vms.dataDisk(p.name()).toAbsolutePath();
        String text = export.export(new LaunchSpec(p, vms.layout().runDir(vm.name()), image.kernel(), image.initramfs(), disk,
                null, false));
        return new VmExport(vm.name(), format, text);
    }

    /** See {@link Operation.Pause}. */
    public VmStatus pause(Operation.Pause op) {
        ManagedVm vm = vms.get(op.name());
        synchronized (vm) {
            Preconditions.require(Operation.Pause.class, vm.name(), vm.state());
            InstanceWatch.pausable(vm).pause();
            vms.move(vm, VmState.PAUSED, VmEvent.Type.STATE_CHANGED, "paused", Map.of());
        }
        return vms.status(vm);
    }

    /** See {@link Operation.Resume}. */
    public VmStatus resume(Operation.Resume op) {
        ManagedVm vm = vms.get(op.name());
        synchronized (vm) {
            Preconditions.require(Operation.Resume.class, vm.name(), vm.state());
            InstanceWatch.pausable(vm).resume();
            vm.markResumed();
            vms.move(vm, VmState.RUNNING, VmEvent.Type.STATE_CHANGED, "resumed", Map.of());
        }
        return vms.status(vm);
    }

    /**
     * See {@link Operation.Stop}: asks the guest to power off and waits up to the timeout for its
     * VMM process to exit, then kills it; with {@code force}, kills at once. Ends in STOPPED.
     */
    public VmStatus stop(Operation.Stop op) {
        ManagedVm vm = vms.get(op.name());
        CompletableFuture<Void> exited;
        Instance inst;
        VmState before;
        synchronized (vm) {
            Preconditions.require(Operation.Stop.class, vm.name(), vm.state());
            inst = vm.instance;
            exited = vm.exited;
            before = vm.state();
            vms.move(vm, VmState.STOPPING, VmEvent.Type.STATE_CHANGED, op.force() ? "stopping (forced)" : "stopping", Map.of());
        }
        boolean clean = false;
        // A panicked guest cannot power itself off: kill it at once instead of waiting for nothing.
        if (!op.force() && inst != null && before != VmState.PANICKED) {
            try {
                GuestChannel ch = vm.channel;
                if (ch != null) {
                    ch.shutdownGuest();
                } else {
                    inst.powerdown();
                }
                clean = watch.awaitExit(vm, exited, Duration.ofSeconds(op.timeoutSeconds()));
            } catch (HpcvirtException e) {
                clean = false;
            }
        }
        if (!clean && inst != null) {
            inst.kill();
            if (!watch.awaitExit(vm, exited, Duration.ofSeconds(10))) {
                watch.onExited(vm, vm.generation, Map.of());
            }
        }
        if (vm.state() == VmState.STOPPING) {
            watch.onExited(vm, vm.generation, Map.of());
        }
        return vms.status(vm);
    }

    /** See {@link Operation.Destroy}: kills the VMM process if any, deletes the VM's node-local files and record. */
    public void destroy(Operation.Destroy op) {
        ManagedVm vm = vms.get(op.name());
        synchronized (vm) {
            if (vm.state() == VmState.DESTROYED || vms.find(op.name()).orElse(null) != vm) {
                throw HpcvirtException.notFound("VM '" + op.name() + "'");
            }
            watch.release(vm);
            vms.remove(vm, "destroyed; its files are deleted");
        }
    }

    /** See {@link Operation.Exec}: exactly one of {@code argv} and {@code command}. */
    public ExecResult exec(Operation.Exec op) {
        String command = op.command() == null || op.command().isBlank() ? null : op.command();
        if ((op.argv() == null) == (command == null)) {
            throw HpcvirtException.invalid("exec: give exactly one of 'argv' (program and arguments, run without a shell) and"
                    + " 'command' (a command line for /bin/sh -c)");
        }
        if (op.argv() != null && (op.argv().isEmpty() || op.argv().stream().anyMatch(java.util.Objects::isNull))) {
            throw HpcvirtException.invalid("exec: 'argv' must be a non-empty array of strings, the program first");
        }
        GuestChannel ch = channel(op.name(), Operation.Exec.class);
        Duration timeout = Duration.ofSeconds(op.timeoutSeconds());
        return op.argv() != null ? ch.exec(List.copyOf(op.argv()), timeout) : ch.exec(command, timeout);
    }

    /** See {@link Operation.Counter}. */
    public CounterReading counter(Operation.Counter op) {
        return channel(op.name(), Operation.Counter.class).counter(CHANNEL_TIMEOUT);
    }

    /**
     * See {@link Operation.Console}: up to 1 MiB of the serial console log of the VM's current (or
     * last) VMM process from the offset; an offset past the end (a new process started a new log)
     * starts again at 0.
     */
    public ConsoleChunk console(Operation.Console op) {
        vms.get(op.name());
        Path log = vms.layout().runDir(op.name()).resolve("console.log");
        try {
            long size = Files.exists(log) ? Files.size(log) : 0;
            long offset = op.offset() > size ? 0 : op.offset();
            byte[] data = new byte[(int) Math.min(size - offset, 1 << 20)];
            if (data.length > 0) {
                try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(log.toFile(), "r")) {
                    f.seek(offset);
                    f.readFully(data);
                }
            }
            return new ConsoleChunk(data, offset + data.length);
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot read " + log, e);
        }
    }

    /** The connected guest channel of a VM in a state that allows {@code op}. */
    public GuestChannel channel(String name, Class<? extends Operation> op) {
        ManagedVm vm = vms.get(name);
        Preconditions.require(op, name, vm.state());
        GuestChannel ch = vm.channel;
        if (ch == null) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "VM '" + name + "': guest agent not connected");
        }
        return ch;
    }

    private Path ensureDataDisk(Image image, VmProfile p) {
        Path disk = vms.dataDisk(p.name());
        if (!Files.exists(disk)) {
            try {
                Files.createDirectories(disk.getParent());
            } catch (IOException e) {
                throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot create " + disk.getParent(), e);
            }
            images.createDataDisk(image, disk, p.disk().sizeBytes());
        }
        return disk;
    }
}
