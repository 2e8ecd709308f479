package org.hpcvirt.api;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.List;
import java.util.Map;

/**
 * Every request a node daemon serves is one value of this type. The CLI, the REST routes, the
 * Slurm glue and the fault-tolerance executor all build operation records and hand them to the
 * one dispatcher ({@code org.hpcvirt.vm.Dispatcher}); which VM states allow each operation is
 * data ({@code org.hpcvirt.vm.Preconditions}), written once; the route table
 * ({@code org.hpcvirt.daemon.RouteTable}) gives each record its method and path, from which the
 * REST routes, the client and the OpenAPI document are derived.
 *
 * <p>Record components are the request's fields, named as on the wire. A component named in the
 * route's path template comes from the path; every other one from the JSON body (POST/DELETE) or
 * the query string (GET). Boxed components may be absent: {@link Default} gives the value the
 * daemon uses then, {@link Range} the accepted range, {@link Required} marks fields without a
 * default. Records are immutable and thread-safe.
 *
 * <p>Adding an operation: one record here, one row in the route table, one handler registered on
 * the dispatcher, and (for a {@link VmOperation}) one row in the precondition table. Tests check
 * that no record lacks any of the three.
 */
public sealed interface Operation {

    /** An operation on one named VM; its precondition is a set of states of that VM. */
    sealed interface VmOperation extends Operation {
        /** The VM the operation acts on. */
        String name();
    }

    /** The value the daemon uses when the field is absent, as JSON text ({@code "120"}, {@code "false"}). */
    @Retention(RetentionPolicy.RUNTIME)
    @Target({ElementType.RECORD_COMPONENT, ElementType.FIELD, ElementType.PARAMETER, ElementType.METHOD})
    @interface Default {
        String value();
    }

    /** Inclusive range of a numeric field. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target({ElementType.RECORD_COMPONENT, ElementType.FIELD, ElementType.PARAMETER, ElementType.METHOD})
    @interface Range {
        long min();

        long max();
    }

    /** A field the request must carry. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target({ElementType.RECORD_COMPONENT, ElementType.FIELD, ElementType.PARAMETER, ElementType.METHOD})
    @interface Required {
    }

    /** One line describing a field, for the OpenAPI document and the CLI. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target({ElementType.RECORD_COMPONENT, ElementType.FIELD, ElementType.PARAMETER, ElementType.METHOD})
    @interface Doc {
        String value();
    }

    /** Longest wait any request accepts: one day, in seconds. */
    long MAX_WAIT_SECONDS = 86_400;

    // ------------------------------------------------------------------ node

    /** Facts about the node daemon (home, pid, uptime, version). Allowed always. */
    record NodeInfo() implements Operation {
    }

    /** The backends known to this node with their probe results. Allowed always. */
    record ListBackends() implements Operation {
    }

    /** Every VM of the node. Allowed always. */
    record ListVms() implements Operation {
    }

    /** Persisted events, optionally of one VM, after a sequence number. Allowed always. */
    record Events(@Doc("only events of this VM") String vm,
            @Doc("only events with a larger sequence number") @Default("0") @Range(min = 0, max = Long.MAX_VALUE) Long after,
            @Doc("at most this many events") @Default("1000") @Range(min = 1, max = 100_000) Integer limit) implements Operation {
    }

    /** Stops the daemon; every VM keeps running. Allowed always. */
    record StopDaemon() implements Operation {
    }

    // ------------------------------------------------------------------ VM lifecycle

    /** Defines a VM from a profile's YAML text. Allowed when no VM of the profile's name exists. */
    record Define(@Required @Doc("the profile, YAML text") String yaml,
            @Doc("where the profile came from, for error messages") @Default("\"request\"") String source,
            @Doc("the user the VM belongs to; default: the caller; only administrators may name another user (e.g. a job's user)")
            String owner) implements Operation {
    }

    /** A VM's state, backend, QEMU pid and last heartbeat. Allowed in every state. */
    record Status(String name) implements VmOperation {
    }

    /** The validated profile a VM was defined from. Allowed in every state. */
    record Profile(String name) implements VmOperation {
    }

    /**
     * A VM's definition in another tool's format, built from its profile by the backend of that
     * name (e.g. {@code libvirt}: domain XML for {@code virsh define}), whatever backend the VM uses.
     * Allowed in every state.
     */
    record Export(String name,
            @Doc("format: the name of a backend that can export definitions (libvirt)") @Default("\"libvirt\"") String format)
            implements VmOperation {
    }

    /**
     * Starts a VM's guest from power-off. Allowed in DEFINED, STOPPED, CRASHED; a SUSPENDED VM is
     * brought back with {@link Wake}, which keeps its memory.
     */
    record Start(String name,
            @Doc("return once the first heartbeat arrived") @Default("false") Boolean waitForHeartbeat,
            @Doc("seconds to wait for it") @Default("120") @Range(min = 1, max = MAX_WAIT_SECONDS) Integer timeoutSeconds)
            implements VmOperation {
    }

    /** Stops the vCPUs; heartbeats stop and are not counted as lost. Allowed in RUNNING, HUNG. */
    record Pause(String name) implements VmOperation {
    }

    /** Resumes the vCPUs of a paused VM; the heartbeat sequence continues. Allowed in PAUSED. */
    record Resume(String name) implements VmOperation {
    }

    /**
     * Powers the guest off (agent, then ACPI), kills its QEMU after the timeout. Allowed in
     * STARTING, RUNNING, PAUSED, HUNG, PANICKED.
     */
    record Stop(String name,
            @Doc("kill QEMU at once") @Default("false") Boolean force,
            @Doc("seconds to wait for a clean power-off") @Default("30") @Range(min = 1, max = MAX_WAIT_SECONDS) Integer timeoutSeconds)
            implements VmOperation {
    }

    /** Kills the VM's QEMU if any and deletes the VM with its node-local files. Allowed in every state. */
    record Destroy(String name) implements VmOperation {
    }

    /**
     * Runs a program in the guest through the agent: {@code argv} exactly as given (no shell), or
     * {@code command} through {@code /bin/sh -c}; exactly one of the two. Allowed in RUNNING.
     */
    record Exec(String name,
            @Doc("program and arguments, passed unchanged") List<String> argv,
            @Doc("a shell command line, run by /bin/sh -c") String command,
            @Doc("seconds before the command is killed") @Default("60") @Range(min = 1, max = MAX_WAIT_SECONDS) Integer timeoutSeconds)
            implements VmOperation {
    }

    /** Reads the guest agent's memory-continuity counter. Allowed in RUNNING. */
    record Counter(String name) implements VmOperation {
    }

    /** Bytes of the VM's serial console from an offset. Allowed in every state. */
    record Console(String name,
            @Doc("first byte to return") @Default("0") @Range(min = 0, max = Long.MAX_VALUE) Long offset) implements VmOperation {
    }

    // ------------------------------------------------------------------ checkpoint, restore, suspend

    /**
     * Writes a checkpoint (RAM, devices, disk layers) into the node's store. Allowed in RUNNING,
     * PAUSED; a running guest runs again afterwards.
     */
    record Checkpoint(String name,
            @Doc("copy memory while the guest runs; pause only for the final pass") @Default("false") Boolean live,
            @Doc("a label kept in the manifest") String tag) implements VmOperation {
    }

    /** Pause-to-storage: checkpoints the VM, stops its QEMU, frees its memory. Allowed in RUNNING, PAUSED. */
    record Suspend(String name) implements VmOperation {
    }

    /**
     * Restores a SUSPENDED VM from its suspend checkpoint, here or ({@code node}) on another node's
     * daemon, which this node then hands the VM to. Allowed in SUSPENDED.
     */
    record Wake(String name,
            @Doc("return once a heartbeat arrived") @Default("true") Boolean waitForHeartbeat,
            @Doc("seconds to wait for it") @Default("60") @Range(min = 1, max = MAX_WAIT_SECONDS) Integer timeoutSeconds,
            @Doc("URL of the daemon to wake the VM on (http://HOST:PORT); absent: this node") String node) implements VmOperation {
    }

    /** The checkpoint a SUSPENDED VM wakes from. Allowed in SUSPENDED. */
    record SuspendCheckpoint(String name) implements VmOperation {
    }

    /** Forgets a SUSPENDED VM that now runs on {@code to}; its checkpoint stays in the store. Allowed in SUSPENDED. */
    record HandOver(String name, @Required @Doc("where the VM runs now") String to) implements VmOperation {
    }

    /**
     * Starts a VM from a verified checkpoint: into a new VM ({@code name}, default the checkpointed
     * VM's name) or into an existing VM of that name in DEFINED, STOPPED, CRASHED or SUSPENDED.
     */
    record Restore(@Doc("checkpoint id") String id,
            @Doc("VM to restore into; default: the checkpointed VM's name") String name,
            @Doc("return once a heartbeat arrived") @Default("true") Boolean waitForHeartbeat,
            @Doc("seconds to wait for it") @Default("60") @Range(min = 1, max = MAX_WAIT_SECONDS) Integer timeoutSeconds)
            implements Operation {
    }

    /** Complete checkpoints, oldest first, of one VM or of all. Allowed always. */
    record ListCheckpoints(@Doc("only checkpoints of this VM") String vm) implements Operation {
    }

    /** One checkpoint's manifest, optionally with every file's checksum verified. Allowed always. */
    record GetCheckpoint(String id, @Doc("verify every file's SHA-256") @Default("false") Boolean verify) implements Operation {
    }

    /** Deletes a checkpoint and the disk layers no other checkpoint uses. Allowed always. */
    record DeleteCheckpoint(String id) implements Operation {
    }

    /** Deletes all but the newest {@code keep} checkpoints of a VM. Allowed always. */
    record PruneCheckpoints(@Required String vm, @Required @Range(min = 0, max = 1_000_000) Integer keep) implements Operation {
    }

    // ------------------------------------------------------------------ live migration

    /**
     * Live-migrates the VM to the daemon at {@code to}, which then owns it. Allowed in RUNNING.
     */
    record Migrate(String name,
            @Required @Doc("the destination daemon's URL, http://HOST:PORT") String to,
            @Doc("longest acceptable final pause, ms") @Default("300") @Range(min = 1, max = 60_000) Long maxDowntimeMs,
            @Doc("bandwidth cap in bytes/s; 0 = unlimited") @Default("0") @Range(min = 0, max = Long.MAX_VALUE) Long bandwidth,
            @Doc("parallel connections (QEMU multifd) when more than 1") @Default("1") @Range(min = 1, max = 16) Integer channels,
            @Doc("seconds before the migration is cancelled") @Default("600") @Range(min = 1, max = MAX_WAIT_SECONDS) Integer timeoutSeconds)
            implements VmOperation {
    }

    /**
     * Destination side of a migration: defines the VM here from its profile and starts a QEMU
     * waiting for the state. If the source has not asked to resume it within
     * {@code timeoutSeconds} (the source died or gave up), the waiting QEMU is killed and the name
     * freed. Allowed when no VM of that name exists here.
     */
    record PrepareIncoming(@Required @Doc("the VM's profile, YAML text") String profileYaml,
            @Doc("the data disk's top layer in the shared store") String disk,
            @Doc("the source node, for events") @Default("\"?\"") String from,
            @Doc("parallel connections the source sends over") @Default("1") @Range(min = 1, max = 16) Integer channels,
            @Doc("seconds to wait for the source's resume before giving the incoming VM up") @Default("660")
            @Range(min = 1, max = MAX_WAIT_SECONDS) Integer timeoutSeconds,
            @Doc("the user the VM belongs to on the source") String owner)
            implements Operation {
    }

    /** Destination side: waits for the end of the incoming stream and starts the vCPUs. Allowed in STARTING. */
    record ResumeIncoming(String name,
            @Default("60") @Range(min = 1, max = MAX_WAIT_SECONDS) Integer timeoutSeconds) implements VmOperation {
    }

    /** Destination side: waits until the migrated VM's first heartbeat here. Allowed in STARTING, RUNNING. */
    record AwaitIncoming(String name,
            @Default("60") @Range(min = 1, max = MAX_WAIT_SECONDS) Integer timeoutSeconds) implements VmOperation {
    }

    /** Destination side: kills the incoming QEMU and forgets the VM. Allowed always (also for unknown VMs). */
    record AbortIncoming(String name) implements Operation {
    }

    // ------------------------------------------------------------------ faults and fault tolerance

    /**
     * Injects one fault into the VM (see {@code hpcvirt zones}) and records an INJECTION event.
     * Faults that would hit the host kernel are refused. Allowed in RUNNING.
     */
    record Inject(String name,
            @Required @Doc("fault id, e.g. kerncrash, segfault, bitflip-workload") String fault,
            @Doc("isolation level of the VM: strict, balanced, performance") @Default("\"strict\"") String isolation,
            @Doc("fault options NAME=VALUE") Map<String, String> options,
            @Doc("seed of random choices (addresses, bits)") Long seed) implements VmOperation {
    }

    /**
     * A predicted failure of a node, for the proactive and hybrid policies; on a Slurm compute node
     * (one in the cluster's node configuration) a trusted one about a node of that cluster also
     * drains it in Slurm and moves its job VMs, as {@code hpcvirt slurm predict} does. Administrators
     * and nodes only.
     */
    record Predict(@Required @Doc("the node predicted to fail") String node,
            @Required @Doc("seconds until the failure") @Range(min = 0, max = 31_536_000) Double inSeconds,
            @Doc("probability the prediction is right") @Default("1.0") @Range(min = 0, max = 1) Double confidence,
            @Doc("on a Slurm compute node: also drain the node in Slurm and move its job VMs (false: only this node's "
                    + "fault-tolerance executor)") @Default("true") Boolean slurm)
            implements Operation {
        /** A prediction for the fault-tolerance executor and, on a Slurm compute node, for Slurm. */
        public Predict(String node, Double inSeconds, Double confidence) {
            this(node, inSeconds, confidence, null);
        }
    }

    /**
     * Runs a Slurm node hook of this node, {@code prolog} (deploy a job's virtual system
     * environment) or {@code epilog} (remove it), in the daemon: the hook script only hands over
     * the environment slurmd gave it ({@code SLURM_*}, {@code SLURMD_*}, {@code SPANK_*},
     * {@code HPCVIRT_*}), so no JVM starts at job start (docs/slurm.md). Administrators only.
     */
    record SlurmHook(@Required @Doc("prolog or epilog") String hook,
            @Required @Doc("the hook's environment from slurmd (other variables are ignored)") Map<String, String> environment)
            implements Operation {
    }

    /** Which VMs the fault-tolerance executor watches on this node. Allowed always. */
    record FtStatus() implements Operation {
    }

    // ------------------------------------------------------------------ Slurm jobs

    /** The deployment records of the Slurm jobs with a VSE on this node ({@code $HPCVIRT_HOME/vse/JOB.json}). Allowed always. */
    record ListJobRecords() implements Operation {
    }

    /**
     * Replaces job {@code job}'s deployment record on this node (when {@code record} is given) and
     * publishes {@code note} as a node event (when given): how a cluster-level command records that a
     * job's VMs moved to another node of its allocation, or why they could not. Allowed always.
     */
    record PutJobRecord(@Required @Doc("the Slurm job id") String job,
            @Doc("the whole new record; absent: the record stays as it is") Map<String, Object> record,
            @Doc("one line published as an FT_DECISION event of the node") String note) implements Operation {
    }

    // ------------------------------------------------------------------ enclaves

    /**
     * Creates an enclave from an enclave file (see docs/enclaves.md): admits it (its cores are no
     * other enclave's nor reserved, the enclaves' memory fits), makes its cpuset cgroup, defines its
     * VM and starts it, waiting for the first heartbeat. A refused or failed creation leaves no VM,
     * cgroup or process. Allowed when no VM of the enclave's name exists.
     */
    record CreateEnclave(@Required @Doc("the enclave file, YAML text") String yaml,
            @Doc("where the file came from, for error messages") @Default("\"request\"") String source,
            @Doc("the user the enclave belongs to; default: the caller; only administrators may name another user") String owner,
            @Doc("seconds to wait for the first heartbeat") @Default("120") @Range(min = 1, max = MAX_WAIT_SECONDS) Integer timeoutSeconds)
            implements Operation {
    }

    /** Every enclave of the node with its cgroup and vCPU placement. Allowed always. */
    record ListEnclaves() implements Operation {
    }

    /**
     * An enclave's configuration choices and its placement as the host holds it (cgroup cpuset,
     * each vCPU thread's affinity). Allowed in every state.
     */
    record ShowEnclave(String name) implements VmOperation {
    }

    /** Kills the enclave's QEMU, deletes its VM and removes its cgroup. Allowed in every state. */
    record DestroyEnclave(String name) implements VmOperation {
    }

    // ------------------------------------------------------------------ private networks

    /**
     * Creates a private network on this node (see docs/vse.md): a bridge, a VXLAN device with the
     * given VNI from {@code local} to every peer, both up; VMs of {@code owner} (and of
     * administrators) may then attach to it with {@code network: private}. A failed creation leaves
     * none of it. Allowed when no network of that name exists on the node.
     */
    record CreateNetwork(@Required @Doc("the network's name: 1 to 11 of a-z and 0-9, starting with a letter") String name,
            @Required @Doc("VXLAN network identifier, the same on every node of the network") @Range(min = 1, max = 16_777_215) Integer vni,
            @Required @Doc("this node's IPv4 address, the source of the tunnel") String local,
            @Doc("the IPv4 addresses of the network's other nodes") List<String> peers,
            @Doc("the user whose VMs may attach; default: the caller") String owner) implements Operation {
    }

    /** Every private network of the node with its VNI, peers and taps. Allowed always. */
    record ListNetworks() implements Operation {
    }

    /**
     * Removes a private network from this node: the taps of its VMs, its VXLAN device, its bridge.
     * Allowed always; a network that does not exist is reported as not deleted.
     */
    record DeleteNetwork(@Doc("the network's name") String name) implements Operation {
    }

    // ------------------------------------------------------------------ Slurm jobs

    /**
     * Checkpoints every VM of Slurm job {@code job} on the job's nodes at one consistent point: pauses
     * all of them on every node, captures each into the shared store, resumes them, then writes one
     * checkpoint set (members, their manifests' SHA-256) for the job and prunes older sets, never the
     * newest verified one. Nothing is kept of a set that failed half-way. The receiving daemon
     * coordinates and reaches the other nodes as its peers. Allowed always (the job's VMs must be
     * RUNNING or PAUSED).
     */
    record CheckpointJob(@Required @Doc("Slurm job id") String job,
            @Required @Doc("the job's nodes in Slurm's order") List<String> nodes,
            @Doc("why it is taken: request, periodic, time-limit") @Default("\"request\"") String reason,
            @Doc("checkpoint sets of the job kept (the newest verified one always is)") @Default("2") @Range(min = 1, max = 1000) Integer keep)
            implements Operation {
    }

    /** The checkpoint sets of Slurm job {@code job} in the shared store, oldest first, unverified. Allowed always. */
    record ListCheckpointSets(@Required @Doc("Slurm job id") String job) implements Operation {
    }

    /**
     * The newest checkpoint set of Slurm job {@code job} whose every member verifies (files' SHA-256,
     * manifests as recorded), with the reasons newer sets were skipped. Allowed always.
     */
    record RestorableCheckpointSet(@Required @Doc("Slurm job id") String job) implements Operation {
    }

    /**
     * One consistent checkpoint of an enclave and of every enclave joined to it by links (its
     * composite): pauses them all, checkpoints each (its state carries the link segments), resumes
     * those that ran; the checkpoints share the tag {@code enclaves-TIME}, which policy
     * {@code restore-all} restores. Allowed in RUNNING, PAUSED (every member).
     */
    record CheckpointEnclave(String name) implements VmOperation {
    }
}
