package org.hpcvirt.access;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import org.hpcvirt.api.Access;
import org.hpcvirt.api.Caller;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Operation;
import org.hpcvirt.api.RequestContext;
import org.hpcvirt.checkpoint.CheckpointManifest;
import org.hpcvirt.vm.Dispatcher;
import org.hpcvirt.vm.VmStatus;

/**
 * The node's rule of who may do what, checked by the {@link Dispatcher} before every operation:
 * <ul>
 * <li>a caller's scope must allow what the operation needs ({@link Access#of}); local users may
 * read and operate, but node-level operations (stopping the daemon, failure predictions, the
 * receiving side of migrations) are for administrators: root, members of the admin group, nodes
 * and admin tokens;</li>
 * <li>a local user acts on VMs and checkpoints they own only; anything else is FORBIDDEN with a
 * message saying it is not theirs. Seeing other users' VMs and checkpoints (status, lists,
 * events, never console or counter) is allowed only when the node's {@code readOthers} setting
 * says so;</li>
 * <li>only administrators may define a VM for another user (the Slurm prolog does, for the job's
 * user).</li>
 * </ul>
 * Lists are filtered to what the caller may see. Stateless apart from the lookups it is given;
 * thread-safe.
 */
public final class Authorizer implements Dispatcher.Guard {
    private final Function<String, Optional<String>> vmOwner;
    private final Function<String, CheckpointManifest> checkpoint;
    private final Function<String, List<CheckpointManifest>> checkpointsOf;
    private final String adminGroup;
    private final boolean readOthers;

    /**
     * @param vmOwner       the owner of the VM of a name, empty if there is no such VM
     * @param checkpoint    the manifest of a checkpoint id (throws NOT_FOUND or INVALID_INPUT as the store does)
     * @param checkpointsOf the checkpoints of a VM name
     * @param adminGroup    the admin group's name, for messages
     * @param readOthers    whether local users may see other users' VMs and checkpoints
     */
    public Authorizer(Function<String, Optional<String>> vmOwner, Function<String, CheckpointManifest> checkpoint,
            Function<String, List<CheckpointManifest>> checkpointsOf, String adminGroup, boolean readOthers) {
        this.vmOwner = vmOwner;
        this.checkpoint = checkpoint;
        this.checkpointsOf = checkpointsOf;
        this.adminGroup = adminGroup;
        this.readOthers = readOthers;
    }

    @Override
    public void admit(Operation op, RequestContext ctx) {
        Caller c = ctx.caller();
        Access needed = Access.of(op);
        if (!c.scope().allows(needed)) {
            throw new HpcvirtException(ErrorCode.FORBIDDEN, needed == Access.ADMIN && c.local()
                    ? "'" + name(op) + "' is for administrators (root and members of group " + adminGroup + "), not " + c.name()
                    : "'" + name(op) + "' needs scope " + needed + "; " + c.name() + " holds " + c.scope());
        }
        if (c.anyOwner()) {
            return;
        }
        // a read that only looks (status, profile) may be opened to everyone; console and counter show the guest itself
        boolean look = needed == Access.READ && !(op instanceof Operation.Console) && !(op instanceof Operation.Counter);
        if (op instanceof Operation.VmOperation v) {
            vmOwner.apply(v.name()).ifPresent(o -> require(c, o, "VM '" + v.name() + "'", look));
        } else if (op instanceof Operation.Define d) {
            if (d.owner() != null && !d.owner().equals(c.name())) {
                throw new HpcvirtException(ErrorCode.FORBIDDEN, "only administrators may define a VM for another user ('"
                        + d.owner() + "'); " + c.name() + " may define VMs for themselves");
            }
        } else if (op instanceof Operation.CreateNetwork d) {
            if (d.owner() != null && !d.owner().equals(c.name())) {
                throw new HpcvirtException(ErrorCode.FORBIDDEN, "only administrators may create a network for another user ('"
                        + d.owner() + "')");
            }
        } else if (op instanceof Operation.CreateEnclave d) {
            if (d.owner() != null && !d.owner().equals(c.name())) {
                throw new HpcvirtException(ErrorCode.FORBIDDEN, "only administrators may create an enclave for another user ('"
                        + d.owner() + "'); " + c.name() + " may create enclaves for themselves");
            }
        } else if (op instanceof Operation.Restore r) {
            CheckpointManifest m = checkpoint.apply(r.id());
            require(c, m.owner(), "checkpoint " + r.id(), false);
            String target = r.name() == null || r.name().isBlank() ? m.vm() : r.name();
            vmOwner.apply(target).ifPresent(o -> require(c, o, "VM '" + target + "'", false));
        } else if (op instanceof Operation.GetCheckpoint g) {
            require(c, checkpoint.apply(g.id()).owner(), "checkpoint " + g.id(), true);
        } else if (op instanceof Operation.DeleteCheckpoint d) {
            require(c, checkpoint.apply(d.id()).owner(), "checkpoint " + d.id(), false);
        } else if (op instanceof Operation.PruneCheckpoints p) {
            vmOwner.apply(p.vm()).ifPresent(o -> require(c, o, "VM '" + p.vm() + "'", false));
            for (CheckpointManifest m : checkpointsOf.apply(p.vm())) {
                require(c, m.owner(), "checkpoint " + m.id() + " of '" + p.vm() + "'", false);
            }
        } else if (op instanceof Operation.Events e && e.vm() != null && !e.vm().isBlank()) {
            vmOwner.apply(e.vm()).ifPresent(o -> require(c, o, "VM '" + e.vm() + "'", true));
        }
        // everything else is node-wide reading (node info, backends, lists: filtered in visible)
    }

    @Override
    public Object visible(Operation op, RequestContext ctx, Object result) {
        Caller c = ctx.caller();
        if (seesAll(c) || !(result instanceof List<?> list)) {
            return result;
        }
        if (op instanceof Operation.ListVms) {
            return list.stream().filter(s -> s instanceof VmStatus v && c.name().equals(v.owner())).toList();
        }
        if (op instanceof Operation.ListJobRecords) {
            return list.stream().filter(r -> r instanceof Map<?, ?> m && c.name().equals(m.get("user"))).toList();
        }
        if (op instanceof Operation.ListEnclaves) {
            return list.stream().filter(s -> s instanceof org.hpcvirt.enclave.EnclaveView v && c.name().equals(v.owner())).toList();
        }
        if (op instanceof Operation.ListNetworks) {
            return list.stream().filter(n -> n instanceof org.hpcvirt.network.PrivateNetwork v && c.name().equals(v.owner())).toList();
        }
        if (op instanceof Operation.ListCheckpoints) {
            return list.stream().filter(m -> m instanceof CheckpointManifest cm && c.name().equals(cm.owner())).toList();
        }
        return result;
    }

    /**
     * True if {@code caller} may see the events of {@code vm} (null: the node's own events, which
     * everyone sees). For the event history and stream.
     */
    public boolean maySee(Caller caller, String vm) {
        if (vm == null || seesAll(caller)) {
            return true;
        }
        return vmOwner.apply(vm).map(caller.name()::equals).orElse(false);
    }

    /**
     * True if {@code caller} may see every user's VMs and checkpoints: an administrator, a node or a
     * token, or anyone when the node lets users read others' ({@code readOthers}).
     */
    public boolean seesAll(Caller caller) {
        return caller.anyOwner() || readOthers;
    }

    private void require(Caller c, String owner, String what, boolean look) {
        if (Objects.equals(owner, c.name()) || (look && readOthers)) {
            return;
        }
        throw new HpcvirtException(ErrorCode.FORBIDDEN, what + " is not " + c.name() + "'s: only its owner and administrators (root and "
                + "members of group " + adminGroup + ") may " + (look ? "see" : "use") + " it");
    }

    /** The operation in words, e.g. {@code stop daemon} for {@code StopDaemon}. */
    static String name(Operation op) {
        return op.getClass().getSimpleName().replaceAll("([a-z])([A-Z])", "$1 $2").toLowerCase(java.util.Locale.ROOT);
    }
}
