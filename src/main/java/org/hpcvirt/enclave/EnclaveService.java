package org.hpcvirt.enclave;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.hpcvirt.api.DataSize;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Operation;
import org.hpcvirt.api.VmEvent;
import org.hpcvirt.api.VmState;
import org.hpcvirt.backend.Instance;
import org.hpcvirt.backend.qemu.QemuCommandLine;
import org.hpcvirt.backend.qemu.QemuInstance;
import org.hpcvirt.backend.qemu.VcpuPinning;
import org.hpcvirt.profile.ProfileLoader;
import org.hpcvirt.profile.VmProfile;
import org.hpcvirt.vm.Lifecycle;
import org.hpcvirt.vm.ManagedVm;
import org.hpcvirt.vm.VmRegistry;
import org.hpcvirt.vm.VmStatus;

/**
 * The node's enclaves: creates them (parse, admit, huge pages, cgroup, define and start the VM),
 * lists, shows and destroys them. An enclave is a VM of the registry whose profile carries a
 * {@link VmProfile.Partition}; everything else hpcvirt does with VMs (stop, checkpoint, restore,
 * events) works on it, and every launch of it (start, restore) lands in its cgroup with its vCPUs
 * pinned. Creation and destruction are serialised on this service, so admission sees every
 * enclave; a refused or failed creation leaves no VM, cgroup or process. Thread-safe.
 */
public final class EnclaveService implements AutoCloseable {
    private static final Duration CGROUP_DRAIN = Duration.ofSeconds(15);
    private static final Set<VmState> FAILED = EnumSet.of(VmState.CRASHED, VmState.PANICKED, VmState.HUNG);
    private static final Set<VmEvent.Type> FAILURES = EnumSet.of(
            VmEvent.Type.QEMU_EXITED, VmEvent.Type.GUEST_PANICKED, VmEvent.Type.HEARTBEAT_LOST);

    private final ExecutorService policies = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "enclave-link-policies");
        t.setDaemon(true);
        return t;
    });
    private volatile Consumer<VmEvent> subscriber;
    /** Restarts by the {@code restart} link policy, per enclave since its creation, this daemon run. */
    private final Map<String, Integer> restarts = new java.util.concurrent.ConcurrentHashMap<>();
    static final int MAX_RESTARTS = 3;

    private final VmRegistry vms;
    private final Lifecycle lifecycle;
    private final EnclaveLoader loader;
    private final Path nodeFile;

    /**
     * @param vms       the node's VMs
     * @param lifecycle defines, starts and destroys the enclaves' VMs
     * @param profiles  checks the enclaves' VM shapes
     * @param nodeFile  the node's enclave settings (reserved cores and memory); may not exist
     */
    public EnclaveService(VmRegistry vms, Lifecycle lifecycle, ProfileLoader profiles, Path nodeFile) {
        this.vms = vms;
        this.lifecycle = lifecycle;
        this.loader = new EnclaveLoader(profiles, NodeResources.onlineCores());
        this.nodeFile = nodeFile;
    }

    /**
     * Starts executing the link policies: when an enclave fails (QEMU exits unasked, the guest
     * panics, heartbeats stop), each enclave linked to it is isolated, frozen or stopped as the
     * link says, through {@code execute} (the dispatcher, as the daemon itself); {@code restoreGroup}
     * restores several VMs together (all loaded paused, then all run) for policy {@code restore-all}.
     * Every step is an FT_DECISION event. Runs on a thread of its own; {@link #close} stops it.
     */
    public void watchFailures(Function<Operation, Object> execute, BiFunction<List<String>, Duration, List<VmStatus>> restoreGroup) {
        Consumer<VmEvent> s = ev -> {
            if (FAILURES.contains(ev.type()) && FAILED.contains(ev.state())) {
                policies.execute(() -> failed(ev, execute, restoreGroup));
            }
        };
        subscriber = s;
        vms.events().subscribe(s);
    }

    private void failed(VmEvent ev, Function<Operation, Object> execute, BiFunction<List<String>, Duration, List<VmStatus>> restoreGroup) {
        VmProfile.Partition p = vms.find(ev.vm()).map(vm -> vm.profile().partition()).orElse(null);
        if (p == null) {
            return;
        }
        boolean restart = false;
        boolean restoreAll = false;
        for (VmProfile.SharedMemory link : p.links()) {
            restart |= LinkPolicy.RESTART.id().equals(link.onFailure());
            restoreAll |= LinkPolicy.RESTORE_ALL.id().equals(link.onFailure());
            ManagedVm peer = vms.find(link.peer()).orElse(null);
            if (peer == null || peer.profile().partition() == null || !EnumSet.of(VmState.RUNNING, VmState.PAUSED, VmState.HUNG)
                    .contains(peer.state())) {
                continue;
            }
            LinkPolicy policy = LinkPolicy.parse(link.onFailure());
            String cause = "link '" + link.name() + "': enclave '" + ev.vm() + "' failed (" + ev.type() + ", " + ev.state() + "); policy "
                    + link.onFailure();
            Map<String, Object> data = Map.of("link", link.name(), "failed", ev.vm(), "policy", link.onFailure());
            try {
                switch (policy == null ? LinkPolicy.ISOLATE : policy) {
                    case ISOLATE -> {
                        markDead(link);
                        vms.publish(peer, VmEvent.Type.FT_DECISION, cause + ": segment " + link.path()
                                + " marked dead, this enclave runs on", data);
                    }
                    case FREEZE -> {
                        boolean paused = peer.state() == VmState.PAUSED;
                        vms.publish(peer, VmEvent.Type.FT_DECISION, cause + (paused ? ": this enclave stays paused"
                                : ": pausing this enclave") + " until an operator resumes, restarts or destroys it", data);
                        if (!paused) {
                            execute.apply(new Operation.Pause(peer.name()));
                        }
                    }
                    case CASCADE -> {
                        vms.publish(peer, VmEvent.Type.FT_DECISION, cause + ": stopping this enclave too", data);
                        execute.apply(new Operation.Stop(peer.name(), true, 30));
                    }
                    case RESTART -> vms.publish(peer, VmEvent.Type.FT_DECISION, cause + ": enclave '" + ev.vm()
                            + "' restarts; this enclave runs on", data);
                    case RESTORE_ALL -> vms.publish(peer, VmEvent.Type.FT_DECISION, cause + ": the composite is restored from"
                            + " its newest consistent checkpoint, this enclave too", data);
                }
            } catch (RuntimeException e) {
                vms.publish(peer, VmEvent.Type.ERROR, cause + ": " + e.getMessage(), data);
            }
        }
        if (restoreAll) {
            restoreAll(ev, execute, restoreGroup);
        } else if (restart) {
            restart(ev, execute);
        }
    }

    /** The enclaves joined to {@code name} by links, directly or through others, {@code name} first. */
    private List<String> composite(String name) {
        List<String> out = new ArrayList<>();
        java.util.ArrayDeque<String> todo = new java.util.ArrayDeque<>(List.of(name));
        while (!todo.isEmpty()) {
            String n = todo.poll();
            if (out.contains(n)) {
                continue;
            }
            VmProfile.Partition part = vms.find(n).map(vm -> vm.profile().partition()).orElse(null);
            if (part == null) {
                continue;
            }
            out.add(n);
            part.links().forEach(l -> todo.add(l.peer()));
        }
        return out;
    }

    /** The tag the checkpoints of one {@link #checkpoint} share. */
    static final String COMPOSITE_TAG = "enclaves-";

    /**
     * See {@link Operation.CheckpointEnclave}: pauses every member of the enclave's composite,
     * checkpoints each, then resumes those that ran; each step goes through {@code execute}. A
     * failure resumes what it paused and is thrown; checkpoints written before it stay in the store.
     */
    public List<org.hpcvirt.checkpoint.CheckpointManifest> checkpoint(String name, Function<Operation, Object> execute) {
        enclave(name);
        List<String> members = composite(name);
        String tag = COMPOSITE_TAG + java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS").withZone(java.time.ZoneOffset.UTC)
                .format(java.time.Instant.now());
        List<String> paused = new ArrayList<>();
        List<org.hpcvirt.checkpoint.CheckpointManifest> out = new ArrayList<>();
        Map<String, Object> data = Map.of("tag", tag, "members", members);
        try {
            for (String m : members) {
                ManagedVm vm = vms.get(m);
                if (vm.state() == VmState.RUNNING) {
                    vms.publish(vm, VmEvent.Type.FT_DECISION, "composite checkpoint " + tag + " of " + members + ": pausing this enclave", data);
                    execute.apply(new Operation.Pause(m));
                    paused.add(m);
                } else if (vm.state() != VmState.PAUSED) {
                    throw new HpcvirtException(ErrorCode.WRONG_STATE, "enclave '" + m + "' (linked to '" + name + "') is " + vm.state()
                            + "; a composite checkpoint needs every member RUNNING or PAUSED");
                }
            }
            for (String m : members) {
                out.add((org.hpcvirt.checkpoint.CheckpointManifest) execute.apply(new Operation.Checkpoint(m, false, tag)));
            }
        } finally {
            for (String m : paused) {
                ManagedVm vm = vms.get(m);
                execute.apply(new Operation.Resume(m));
                vms.publish(vm, VmEvent.Type.FT_DECISION, "composite checkpoint " + tag + ": resumed this enclave", data);
            }
        }
        return out;
    }

    /**
     * When the VM {@code name} was last defined (its newest DEFINED event): checkpoints from before
     * are of an earlier VM of the same name, whose link segments another ring used.
     */
    private java.time.Instant definedAt(String name) {
        java.time.Instant at = java.time.Instant.EPOCH;
        long after = 0;
        while (true) {
            List<VmEvent> page = vms.events().history(name, after, 1000);
            for (VmEvent e : page) {
                if (e.type() == VmEvent.Type.DEFINED && e.vm().equals(name)) {
                    at = e.time();
                }
            }
            if (page.size() < 1000) {
                return at;
            }
            after = page.get(page.size() - 1).seq();
        }
    }

    /** The newest checkpoint of {@code vm} in the store (any tag but suspend) taken since it was defined, or null. */
    @SuppressWarnings("unchecked")
    private org.hpcvirt.checkpoint.CheckpointManifest newest(String vm, Function<Operation, Object> execute, String tagPrefix) {
        java.time.Instant since = definedAt(vm);
        List<org.hpcvirt.checkpoint.CheckpointManifest> all = (List<org.hpcvirt.checkpoint.CheckpointManifest>) execute.apply(
                new Operation.ListCheckpoints(vm));
        org.hpcvirt.checkpoint.CheckpointManifest best = null;
        for (org.hpcvirt.checkpoint.CheckpointManifest m : all) {
            if (!m.vm().equals(vm) || org.hpcvirt.checkpoint.CheckpointManifest.SUSPEND_TAG.equals(m.tag()) || m.created().isBefore(since)
                    || (tagPrefix != null && (m.tag() == null || !m.tag().startsWith(tagPrefix)))) {
                continue;
            }
            if (best == null || m.created().isAfter(best.created())) {
                best = m;
            }
        }
        return best;
    }

    /**
     * The {@code restore-all} policy: every member of the failed enclave's composite is stopped and
     * restored from the newest composite checkpoint all of them have; without one, {@link #restart}.
     */
    private void restoreAll(VmEvent ev, Function<Operation, Object> execute, BiFunction<List<String>, Duration, List<VmStatus>> restoreGroup) {
        ManagedVm failed = vms.find(ev.vm()).orElse(null);
        if (failed == null) {
            return;
        }
        List<String> members = composite(failed.name());
        int n = restarts.merge(failed.name(), 1, Integer::sum);
        Map<String, Object> data = new LinkedHashMap<>(Map.of("failed", failed.name(), "policy", LinkPolicy.RESTORE_ALL.id(), "restart", n));
        if (n > MAX_RESTARTS) {
            vms.publish(failed, VmEvent.Type.FT_DECISION, "policy restore-all: enclave '" + failed.name() + "' failed again (" + ev.type()
                    + "); restored " + MAX_RESTARTS + " times already, it stays " + failed.state(), data);
            return;
        }
        String tag = null;
        Map<String, org.hpcvirt.checkpoint.CheckpointManifest> set = new LinkedHashMap<>();
        try {
            org.hpcvirt.checkpoint.CheckpointManifest mine = newest(failed.name(), execute, COMPOSITE_TAG);
            if (mine != null) {
                tag = mine.tag();
                for (String m : members) {
                    @SuppressWarnings("unchecked")
                    List<org.hpcvirt.checkpoint.CheckpointManifest> all = (List<org.hpcvirt.checkpoint.CheckpointManifest>) execute.apply(
                            new Operation.ListCheckpoints(m));
                    String t = tag;
                    java.time.Instant since = definedAt(m);
                    all.stream().filter(c -> c.vm().equals(m) && t.equals(c.tag()) && !c.created().isBefore(since)).findFirst()
                            .ifPresent(c -> set.put(m, c));
                }
            }
        } catch (RuntimeException e) {
            vms.publish(failed, VmEvent.Type.ERROR, "policy restore-all: cannot list the checkpoints: " + e.getMessage(), data);
            return;
        }
        if (tag == null || set.size() != members.size()) {
            restarts.merge(failed.name(), -1, Integer::sum);
            vms.publish(failed, VmEvent.Type.FT_DECISION, "policy restore-all: enclave '" + failed.name() + "' failed (" + ev.type()
                    + "); " + (tag == null ? "the composite " + members + " has no consistent checkpoint"
                            : "checkpoint set " + tag + " lacks " + members.stream().filter(m -> !set.containsKey(m)).toList())
                    + ": restarting the failed enclave alone", data);
            restart(ev, execute);
            return;
        }
        data.put("checkpoints", set.values().stream().map(org.hpcvirt.checkpoint.CheckpointManifest::id).toList());
        data.put("tag", tag);
        try {
            for (String m : members) {
                ManagedVm vm = vms.get(m);
                vms.publish(vm, VmEvent.Type.FT_DECISION, "policy restore-all: enclave '" + failed.name() + "' failed (" + ev.type()
                        + "); restoring the composite " + members + " from checkpoint set " + tag + ": this enclave from "
                        + set.get(m).id() + " (restore " + n + " of at most " + MAX_RESTARTS + ")", data);
                if (EnumSet.of(VmState.RUNNING, VmState.PAUSED, VmState.HUNG, VmState.PANICKED, VmState.STARTING).contains(vm.state())) {
                    execute.apply(new Operation.Stop(m, true, 30));
                }
            }
            restoreGroup.apply(set.values().stream().map(org.hpcvirt.checkpoint.CheckpointManifest::id).toList(), Duration.ofSeconds(120));
            for (String m : members) {
                vms.publish(vms.get(m), VmEvent.Type.FT_DECISION, "policy restore-all: the composite " + members + " runs again from "
                        + "checkpoint set " + tag, data);
            }
        } catch (RuntimeException e) {
            vms.publish(failed, VmEvent.Type.ERROR, "policy restore-all: the composite " + members + " was not restored: " + e.getMessage(),
                    data);
        }
    }

    /** The {@code restart} policy on the failed enclave itself: stop what is left and boot it again. */
    private void restart(VmEvent ev, Function<Operation, Object> execute) {
        ManagedVm vm = vms.find(ev.vm()).orElse(null);
        if (vm == null) {
            return;
        }
        int n = restarts.merge(vm.name(), 1, Integer::sum);
        Map<String, Object> data = Map.of("failed", vm.name(), "policy", LinkPolicy.RESTART.id(), "restart", n);
        if (n > MAX_RESTARTS) {
            vms.publish(vm, VmEvent.Type.FT_DECISION, "policy restart: enclave '" + vm.name() + "' failed again (" + ev.type()
                    + "); restarted " + MAX_RESTARTS + " times already, it stays " + vm.state(), data);
            return;
        }
        try {
            if (vm.state() == VmState.PANICKED || vm.state() == VmState.HUNG) {
                execute.apply(new Operation.Stop(vm.name(), true, 30));
            }
            org.hpcvirt.checkpoint.CheckpointManifest last = newest(vm.name(), execute, null);
            if (last == null) {
                vms.publish(vm, VmEvent.Type.FT_DECISION, "policy restart: enclave '" + vm.name() + "' failed (" + ev.type()
                        + "); it has no checkpoint: booting it afresh (restart " + n + " of at most " + MAX_RESTARTS + ")", data);
                execute.apply(new Operation.Start(vm.name(), true, 120));
            } else {
                // its state holds the link segments as they were then (ivshmem master=on): the restore writes them back
                vms.publish(vm, VmEvent.Type.FT_DECISION, "policy restart: enclave '" + vm.name() + "' failed (" + ev.type()
                        + "); restoring it from its last checkpoint " + last.id() + " (taken " + last.created() + "; its link segments"
                        + " go back to that moment) (restart " + n + " of at most " + MAX_RESTARTS + ")", data);
                execute.apply(new Operation.Restore(last.id(), vm.name(), true, 120));
            }
        } catch (RuntimeException e) {
            vms.publish(vm, VmEvent.Type.ERROR, "policy restart: enclave '" + vm.name() + "' did not restart: " + e.getMessage(), data);
        }
    }

    /** Writes {@link LinkPolicy#DEAD_MAGIC} over the segment's first 8 bytes (little-endian). */
    static void markDead(VmProfile.SharedMemory link) {
        try (FileChannel ch = FileChannel.open(Path.of(link.path()),
                StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(LinkPolicy.DEAD_MAGIC);
            b.flip();
            ch.write(b, 0);
        } catch (IOException e) {
            throw new HpcvirtException(ErrorCode.OPERATION_FAILED, "cannot mark segment " + link.path() + " dead: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        Consumer<VmEvent> s = subscriber;
        if (s != null) {
            vms.events().unsubscribe(s);
        }
        policies.shutdownNow();
    }

    /** The node settings file this service reads at every creation. */
    public Path nodeFile() {
        return nodeFile;
    }

    /** See {@link Operation.CreateEnclave}. */
    public synchronized EnclaveView create(Operation.CreateEnclave op, String owner) {
        EnclaveSpec spec = loader.parse(op.yaml(), op.source());
        if (spec.profile().network() == VmProfile.Network.PRIVATE) {
            throw HpcvirtException.invalid(op.source() + ": field 'vm.network': an enclave does not attach to a private network "
                    + "(those join the VMs of a Slurm job; an enclave composes through shared-memory links)");
        }
        if (vms.find(spec.name()).isPresent()) {
            throw new HpcvirtException(ErrorCode.ALREADY_EXISTS, "a VM named '" + spec.name() + "' exists already");
        }
        restarts.remove(spec.name()); // a new enclave of an old name starts with no restarts
        NodeResources node = NodeResources.detect(loader.loadNode(nodeFile));
        List<Integer> cores = Admission.admit(spec, claims(), node);
        long huge = HugePagePool.twoMiB().decide(spec.name(), spec.hugePages(), spec.memoryBytes());
        IsolationLevel.Choices choices = spec.isolation().choices();
        Map<String, VmProfile.Partition> enclaves = partitions();
        List<VmProfile.SharedMemory> links = Links.check(spec, enclaves, n -> vms.find(n).isPresent());
        CpusetCgroup cgroup = CpusetCgroup.forEnclave(spec.name());
        List<Path> segments = Links.makeSegments(links, enclaves);
        try {
            cgroup.create(cores, choices.exclusiveCpuset());
        } catch (RuntimeException e) {
            Links.deleteAll(segments);
            throw e;
        }
        boolean defined = false;
        try {
            VmProfile.Partition partition = new VmProfile.Partition(spec.name(), spec.isolation().id(), cores, cgroup.procs().toString(),
                    true, choices.memLock(), huge, spec.hugePages().id(), choices.sandbox(), links);
            lifecycle.define(spec.profile().withPartition(partition), owner);
            defined = true;
            lifecycle.start(new Operation.Start(spec.name(), true, op.timeoutSeconds()));
            return show(spec.name());
        } catch (RuntimeException e) {
            if (defined) {
                try {
                    lifecycle.destroy(new Operation.Destroy(spec.name()));
                } catch (RuntimeException x) {
                    e.addSuppressed(x);
                }
            }
            try {
                cgroup.remove(CGROUP_DRAIN);
            } catch (RuntimeException x) {
                e.addSuppressed(x);
            }
            try {
                Links.deleteAll(segments);
            } catch (RuntimeException x) {
                e.addSuppressed(x);
            }
            throw e;
        }
    }

    /**
     * Refuses an ordinary VM whose profile pins it to an enclave's core (see
     * {@link Admission#admitPinnedVm}); enclaves and unpinned VMs pass.
     */
    public void checkPinning(VmProfile p) {
        if (p.partition() == null && !p.pinning().isEmpty()) {
            Admission.admitPinnedVm(p.name(), p.pinning(), claims());
        }
    }

    /**
     * Refuses to migrate an enclave: the destination would receive an ordinary VM (its cores,
     * cgroup and link segments are this node's, admitted here), so it would stop being an enclave.
     */
    public void checkMigratable(String name) {
        VmProfile.Partition p = vms.find(name).map(vm -> vm.profile().partition()).orElse(null);
        if (p != null) {
            throw new HpcvirtException(ErrorCode.REFUSED, "VM '" + name + "' is an enclave (cores " + EnclaveLoader.ranges(p.cores())
                    + (p.links().isEmpty() ? "" : ", links " + p.links().stream().map(VmProfile.SharedMemory::name).toList())
                    + "): migration would make it an ordinary VM at the destination; checkpoint it and create the enclave there instead");
        }
    }

    /** Every enclave of the node, by name. */
    public List<EnclaveView> list() {
        List<EnclaveView> out = new ArrayList<>();
        for (ManagedVm vm : vms.all()) {
            if (vm.profile().partition() != null) {
                out.add(view(vm));
            }
        }
        out.sort(Comparator.comparing(EnclaveView::name));
        return out;
    }

    /** See {@link Operation.ShowEnclave}. */
    public EnclaveView show(String name) {
        return view(enclave(name));
    }

    /** See {@link Operation.DestroyEnclave}: kills its QEMU, forgets the VM, removes the cgroup. */
    public synchronized void destroy(String name) {
        Runnable cleanup = cleanupAfterDestroy(enclave(name).name());
        lifecycle.destroy(new Operation.Destroy(name));
        cleanup.run();
    }

    /**
     * What to do once the VM {@code name} is destroyed (by {@code vm destroy} too): for an enclave,
     * remove its cgroup and the segments of links whose other end is gone; for any other VM, nothing.
     * Call before the destruction, run after it.
     */
    public Runnable cleanupAfterDestroy(String name) {
        VmProfile.Partition p = vms.find(name).map(vm -> vm.profile().partition()).orElse(null);
        if (p == null) {
            return () -> { };
        }
        return () -> {
            synchronized (this) {
                CpusetCgroup cgroup = CpusetCgroup.forEnclave(name);
                if (cgroup.exists()) {
                    cgroup.remove(CGROUP_DRAIN);
                }
                Map<String, VmProfile.Partition> remaining = partitions();
                remaining.remove(name);
                Links.release(p.links(), remaining);
            }
        };
    }

    private Map<String, VmProfile.Partition> partitions() {
        Map<String, VmProfile.Partition> out = new LinkedHashMap<>();
        for (ManagedVm vm : vms.all()) {
            if (vm.profile().partition() != null) {
                out.put(vm.name(), vm.profile().partition());
            }
        }
        return out;
    }

    private List<Admission.Claim> claims() {
        List<Admission.Claim> out = new ArrayList<>();
        for (ManagedVm vm : vms.all()) {
            VmProfile.Partition p = vm.profile().partition();
            if (p != null) {
                out.add(new Admission.Claim(vm.name(), p.cores(), vm.profile().memoryBytes()));
            }
        }
        return out;
    }

    private ManagedVm enclave(String name) {
        ManagedVm vm = vms.get(name);
        if (vm.profile().partition() == null) {
            throw HpcvirtException.notFound("enclave '" + name + "' (VM '" + name + "' is not an enclave)");
        }
        return vm;
    }

    private EnclaveView view(ManagedVm vm) {
        VmProfile p = vm.profile();
        VmProfile.Partition part = p.partition();
        IsolationLevel level = IsolationLevel.parse(part.isolation());
        CpusetCgroup cgroup = CpusetCgroup.forEnclave(vm.name());
        Instance inst = vm.instance();
        long pid = 0;
        List<VcpuPinning.VcpuThread> vcpus = List.of();
        if (inst instanceof QemuInstance q && q.isAlive() && vm.state() != VmState.DESTROYED) {
            pid = q.pid();
            try {
                vcpus = VcpuPinning.threads(q);
            } catch (RuntimeException e) {
                vcpus = List.of();
            }
        }
        boolean exclusive = cgroup.exclusive();
        return new EnclaveView(vm.name(), vm.owner(), vm.state(), level.id(), choices(level, part, exclusive), part.cores(),
                p.memoryBytes(), part.hugePageBytes(), cgroup.dir().toString(), cgroup.cpus(), cgroup.mems(), exclusive, pid,
                pid != 0 && cgroup.pids().contains(pid), vcpus, qemuArgs(vm, p), part.links());
    }

    /** The configuration choices of {@code level} for this partition, in words. */
    static List<String> choices(IsolationLevel level, VmProfile.Partition part, boolean exclusiveNow) {
        IsolationLevel.Choices c = level.choices();
        List<String> out = new ArrayList<>();
        out.add("cores: dedicated (no other enclave may claim them), each vCPU thread pinned to its own core; cpuset exclusivity "
                + (c.exclusiveCpuset() ? (exclusiveNow ? "requested and granted" : "requested, not granted by the kernel (parent cgroup not exclusive)")
                        : "not requested"));
        out.add("shared memory with other enclaves: " + (c.sharedMemoryAllowed() ? "allowed (ivshmem-plain links)" : "forbidden"));
        out.add("memory: preallocated" + (c.memLock() ? ", locked in host RAM (mem-lock=on)" : "") + "; huge pages asked '"
                + part.hugePagesAsked() + "' -> " + (part.hugePageBytes() > 0 ? DataSize.format(part.hugePageBytes()) + " pages"
                        : "ordinary pages"));
        out.add("device model: " + c.deviceModel());
        return out;
    }

    /** The arguments of the VM's last QEMU command line that the partition put there (from its run directory). */
    private List<String> qemuArgs(ManagedVm vm, VmProfile p) {
        Path cmdline = vms.layout().runDir(vm.name()).resolve("qemu.cmdline");
        List<String> wanted = QemuCommandLine.partitionArgs(p);
        try {
            List<String> actual = Files.readAllLines(cmdline);
            List<String> out = new ArrayList<>();
            for (int i = 0; i < actual.size(); i++) {
                String a = actual.get(i);
                if (a.equals("sh") && i + 3 < actual.size()) {
                    out.addAll(actual.subList(i, i + 4));
                }
            }
            for (int i = 0; i + 1 < actual.size(); i++) {
                if (actual.get(i).startsWith("-") && wanted.contains(actual.get(i + 1))) {
                    out.add(actual.get(i));
                    out.add(actual.get(i + 1));
                }
            }
            return out;
        } catch (IOException e) {
            return wanted;
        }
    }
}
