package org.hpcvirt.vm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.hpcvirt.api.DataSize;
import org.hpcvirt.api.DirectoryTree;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.VmEvent;
import org.hpcvirt.api.VmState;
import org.hpcvirt.backend.BackendRegistry;
import org.hpcvirt.guest.GuestChannel;
import org.hpcvirt.guest.Heartbeat;
import org.hpcvirt.profile.VmProfile;
import org.hpcvirt.vm.store.VmRecord;
import org.hpcvirt.vm.store.VmStore;

/**
 * The VMs of one node, by name, with their persistence: every state transition goes through
 * {@link #move}, which validates it against {@link VmState#canMoveTo}, stores it and publishes
 * the event. Thread-safe; transitions of one VM are made under that VM's monitor by the caller.
 * Created by the node's composition root, which also closes the store.
 */
public final class VmRegistry {
    private final NodeLayout layout;
    private final BackendRegistry backends;
    private final VmStore store;
    private final EventBus bus;
    private final Map<String, ManagedVm> vms = new ConcurrentHashMap<>();

    public VmRegistry(NodeLayout layout, BackendRegistry backends, VmStore store, EventBus bus) {
        this.layout = layout;
        this.backends = backends;
        this.store = store;
        this.bus = bus;
        for (VmRecord r : store.all()) {
            vms.put(r.name(), new ManagedVm(r));
        }
    }

    public NodeLayout layout() {
        return layout;
    }

    public BackendRegistry backends() {
        return backends;
    }

    public EventBus events() {
        return bus;
    }

    /** The VM called {@code name}; NOT_FOUND if there is none. */
    public ManagedVm get(String name) {
        ManagedVm vm = vms.get(name);
        if (vm == null) {
            throw HpcvirtException.notFound("VM '" + name + "'");
        }
        return vm;
    }

    public Optional<ManagedVm> find(String name) {
        return Optional.ofNullable(name == null ? null : vms.get(name));
    }

    /** Every VM, by name. */
    public List<ManagedVm> all() {
        return vms.values().stream().sorted(Comparator.comparing(ManagedVm::name)).toList();
    }

    public List<VmStatus> list() {
        List<VmStatus> out = new ArrayList<>();
        for (ManagedVm vm : all()) {
            out.add(status(vm));
        }
        return out;
    }

    public VmStatus status(String name) {
        return status(get(name));
    }

    /**
     * Records a new VM in DEFINED, belonging to {@code owner}. Checks the backend name and the
     * socket path lengths.
     *
     * @throws HpcvirtException ALREADY_EXISTS if the name is taken
     */
    public ManagedVm define(VmProfile profile, String owner) {
        backends.get(profile.backend());
        layout.checkSocketPaths(profile.name());
        Instant now = Instant.now();
        VmRecord r = new VmRecord(profile, VmState.DEFINED, 0, 0, null, now, now, org.hpcvirt.access.Owners.checked(owner));
        ManagedVm vm = new ManagedVm(r);
        synchronized (vm) {
            if (vms.putIfAbsent(profile.name(), vm) != null) {
                throw new HpcvirtException(ErrorCode.ALREADY_EXISTS, "VM '" + profile.name() + "' is already defined");
            }
            try {
                store.insert(r);
            } catch (RuntimeException e) {
                vms.remove(profile.name());
                throw e;
            }
            publish(vm, VmEvent.Type.DEFINED, "defined for " + owner + " (backend " + profile.backend() + ", " + profile.cpus() + " vCPU, "
                    + DataSize.format(profile.memoryBytes()) + ")", Map.of("owner", owner));
        }
        return vm;
    }

    /**
     * Removes a VM whose VMM process is already released: its node-local files, its record, and
     * its entry; publishes DESTROYED with {@code message}. Shared checkpoint-store files stay.
     * Caller holds the VM's monitor.
     */
    public void remove(ManagedVm vm, String message) {
        if (vm.record.state() == VmState.DESTROYED || vms.get(vm.name()) != vm) {
            // removed already (a second destroy, or an abort racing it): a VM defined again under the
            // same name since then is another VM and keeps its files and record
            return;
        }
        vm.generation++;
        closeChannel(vm);
        DirectoryTree.delete(layout.runDir(vm.name()));
        DirectoryTree.delete(layout.vmDir(vm.name()));
        store.delete(vm.name());
        vms.remove(vm.name(), vm);
        vm.record = vm.record.with(VmState.DESTROYED);
        bus.publish(VmEvent.of(vm.name(), VmEvent.Type.DESTROYED, VmState.DESTROYED, message));
    }

    /** Validated transition + persistence + event. Caller holds the VM's monitor. */
    public void move(ManagedVm vm, VmState to, VmEvent.Type type, String message, Map<String, Object> data) {
        VmState from = vm.record.state();
        if (!from.canMoveTo(to)) {
            throw new HpcvirtException(ErrorCode.INTERNAL, "illegal transition " + from + " → " + to + " of " + vm.name());
        }
        vm.record = vm.record.with(to);
        store.update(vm.record);
        Map<String, Object> d = new HashMap<>(data);
        d.put("from", from.name());
        bus.publish(VmEvent.of(vm.name(), type, to, message, d));
    }

    /** An event about the VM in its current state. */
    public void publish(ManagedVm vm, VmEvent.Type type, String message, Map<String, Object> data) {
        bus.publish(VmEvent.of(vm.name(), type, vm.record.state(), message, data));
    }

    /** Stores the VM's record as it is now. */
    void persist(ManagedVm vm) {
        store.update(vm.record);
    }

    /** Points {@code vms/NAME/data.qcow2} at {@code target} (atomically replacing a file or link). */
    public void linkDataDisk(String name, Path target) {
        Path link = dataDisk(name);
        Path tmp = layout.vmDir(name).resolve("data.qcow2.new-link");
        try {
            Files.createDirectories(link.getParent());
            Files.deleteIfExists(tmp);
            Files.createSymbolicLink(tmp, target.toAbsolutePath());
            Files.move(tmp, link, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot link " + link + " to " + target, e);
        }
    }

    /** Where the VM's data disk (file or link) is on this node. */
    public Path dataDisk(String name) {
        return layout.vmDir(name).resolve("data.qcow2");
    }

    static void closeChannel(ManagedVm vm) {
        GuestChannel ch = vm.channel;
        vm.channel = null;
        if (ch != null) {
            ch.close();
        }
    }

    VmStatus status(ManagedVm vm) {
        VmRecord r = vm.record;
        Heartbeat hb = vm.lastHeartbeat;
        GuestChannel ch = vm.channel;
        long garbage = 0;
        if (ch != null && ch.stats() != null) {
            GuestChannel.Stats st = ch.stats();
            garbage = st.garbageLines() + st.rateLimited() + st.oversize();
        }
        return new VmStatus(r.name(), r.owner(), r.state(), r.profile().backend(), r.profile().cpus(), r.profile().memoryBytes(), r.pid(),
                hb == null ? -1 : hb.seq(), hb == null ? -1 : (System.nanoTime() - vm.lastHeartbeatNanos) / 1_000_000,
                hb == null ? -1 : hb.uptimeMs(), hb == null ? -1 : hb.load(), garbage, r.updated());
    }
}
