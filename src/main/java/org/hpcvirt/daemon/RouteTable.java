package org.hpcvirt.daemon;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.type.TypeFactory;
import java.lang.reflect.RecordComponent;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.hpcvirt.api.ErrorCode;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.api.Operation;
import org.hpcvirt.api.VmEvent;
import org.hpcvirt.backend.BackendRegistry;
import org.hpcvirt.checkpoint.CheckpointManifest;
import org.hpcvirt.guest.CounterReading;
import org.hpcvirt.guest.ExecResult;
import org.hpcvirt.inject.InjectionReport;
import org.hpcvirt.migration.MigrationPeer;
import org.hpcvirt.migration.MigrationReport;
import org.hpcvirt.profile.VmProfile;
import org.hpcvirt.vm.VmStatus;

/**
 * Every route of the node daemon's API, once: method, path template, the operation record it
 * becomes, the result type and the success status. The REST routes ({@link Daemon}), the client
 * ({@link DaemonClient}) and the OpenAPI document ({@link OpenApi}) are derived from this table,
 * so a path is written only here. Immutable; thread-safe.
 */
public final class RouteTable {
    private static final TypeFactory TYPES = TypeFactory.defaultInstance();
    private static final Pattern PARAM = Pattern.compile("\\{([A-Za-z]+)}");

    /** How a route's result travels. */
    public enum Body {
        /** The result as JSON. */
        JSON,
        /** The result's bytes as application/octet-stream (console), with {@code X-Next-Offset}. */
        BYTES,
        /** No body (204). */
        NONE
    }

    /**
     * One route.
     *
     * @param method  HTTP method
     * @param path    path template; {@code {x}} takes the record component {@code x}
     * @param op      the operation record
     * @param result  the result's type on the wire
     * @param status  HTTP status on success
     * @param body    how the result travels
     * @param summary one line for the API document
     */
    public record Route(String method, String path, Class<? extends Operation> op, JavaType result, int status, Body body,
            String summary) {
        /** The names of the path's parameters, in order. */
        public List<String> pathParams() {
            List<String> out = new ArrayList<>();
            Matcher m = PARAM.matcher(path);
            while (m.find()) {
                out.add(m.group(1));
            }
            return out;
        }

        /** True if the fields that are not in the path come from the query string (GET). */
        public boolean queryFields() {
            return "GET".equals(method);
        }

        /** The route's path for {@code op}, with its path parameters filled in (URL-encoded). */
        public String pathOf(Operation value) {
            StringBuilder sb = new StringBuilder();
            Matcher m = PARAM.matcher(path);
            while (m.find()) {
                Object v = component(value, m.group(1));
                if (v == null || v.toString().isBlank()) {
                    throw HpcvirtException.invalid(m.group(1) + " is required");
                }
                m.appendReplacement(sb, Matcher.quoteReplacement(URLEncoder.encode(v.toString(), StandardCharsets.UTF_8)
                        .replace("+", "%20")));
            }
            m.appendTail(sb);
            return sb.toString();
        }
    }

    private static final List<Route> ROUTES = List.of(
            get("/v1/node", Operation.NodeInfo.class, map(), "Facts about this node daemon"),
            get("/v1/backends", Operation.ListBackends.class, list(BackendRegistry.Described.class), "Backends, their probe results and capability rows"),
            get("/v1/vms", Operation.ListVms.class, list(VmStatus.class), "Every VM of the node"),
            route("POST", "/v1/vms", Operation.Define.class, type(VmStatus.class), 201, Body.JSON, "Define a VM from a profile"),
            get("/v1/vms/{name}", Operation.Status.class, type(VmStatus.class), "A VM's status"),
            route("DELETE", "/v1/vms/{name}", Operation.Destroy.class, type(Void.class), 204, Body.NONE, "Destroy a VM"),
            get("/v1/vms/{name}/profile", Operation.Profile.class, type(VmProfile.class), "The profile a VM was defined from"),
            get("/v1/vms/{name}/export", Operation.Export.class, type(org.hpcvirt.vm.VmExport.class),
                    "A VM's definition in another tool's format"),
            post("/v1/vms/{name}/start", Operation.Start.class, type(VmStatus.class), "Start a VM"),
            post("/v1/vms/{name}/pause", Operation.Pause.class, type(VmStatus.class), "Pause a VM"),
            post("/v1/vms/{name}/resume", Operation.Resume.class, type(VmStatus.class), "Resume a paused VM"),
            post("/v1/vms/{name}/stop", Operation.Stop.class, type(VmStatus.class), "Power a VM off"),
            post("/v1/vms/{name}/exec", Operation.Exec.class, type(ExecResult.class), "Run a program in the guest"),
            get("/v1/vms/{name}/counter", Operation.Counter.class, type(CounterReading.class), "The guest agent's counter"),
            route("GET", "/v1/vms/{name}/console", Operation.Console.class, type(byte[].class), 200, Body.BYTES,
                    "Serial console bytes from an offset"),
            route("POST", "/v1/vms/{name}/checkpoint", Operation.Checkpoint.class, type(CheckpointManifest.class), 201, Body.JSON,
                    "Checkpoint a VM"),
            post("/v1/vms/{name}/suspend", Operation.Suspend.class, type(CheckpointManifest.class), "Suspend a VM to storage"),
            post("/v1/vms/{name}/wake", Operation.Wake.class, type(VmStatus.class), "Wake a suspended VM"),
            get("/v1/vms/{name}/suspend-checkpoint", Operation.SuspendCheckpoint.class, type(CheckpointManifest.class),
                    "The checkpoint a suspended VM wakes from"),
            route("POST", "/v1/vms/{name}/hand-over", Operation.HandOver.class, type(Void.class), 204, Body.NONE,
                    "Forget a suspended VM woken on another node"),
            post("/v1/vms/{name}/migrate", Operation.Migrate.class, type(MigrationReport.class), "Live-migrate a VM to another node"),
            post("/v1/vms/{name}/inject", Operation.Inject.class, type(InjectionReport.class), "Inject one fault into a VM"),
            post("/v1/checkpoints/{id}/restore", Operation.Restore.class, type(VmStatus.class), "Restore a checkpoint"),
            get("/v1/checkpoints", Operation.ListCheckpoints.class, list(CheckpointManifest.class), "Complete checkpoints"),
            get("/v1/checkpoints/{id}", Operation.GetCheckpoint.class, type(CheckpointManifest.class), "One checkpoint's manifest"),
            route("DELETE", "/v1/checkpoints/{id}", Operation.DeleteCheckpoint.class, map(), 200, Body.JSON, "Delete a checkpoint"),
            post("/v1/checkpoints/prune", Operation.PruneCheckpoints.class, map(), "Delete all but the newest checkpoints of a VM"),
            route("POST", "/v1/migrations/incoming", Operation.PrepareIncoming.class, type(MigrationPeer.IncomingMigration.class), 201,
                    Body.JSON, "Destination: prepare an incoming migration"),
            post("/v1/migrations/incoming/{name}/resume", Operation.ResumeIncoming.class, map(),
                    "Destination: resume once the stream ended"),
            post("/v1/migrations/incoming/{name}/await", Operation.AwaitIncoming.class, type(VmStatus.class),
                    "Destination: wait for the first heartbeat"),
            route("DELETE", "/v1/migrations/incoming/{name}", Operation.AbortIncoming.class, map(), 200, Body.JSON,
                    "Destination: abort an incoming migration"),
            get("/v1/events", Operation.Events.class, list(VmEvent.class), "Persisted events"),
            route("POST", "/v1/ft/predictions", Operation.Predict.class, map(), 202, Body.JSON, "Report a predicted node failure"),
            post("/v1/slurm/hook", Operation.SlurmHook.class, type(org.hpcvirt.slurm.HookResult.class),
                    "Run this node's Slurm Prolog or Epilog for a job with a virtual system environment"),
            get("/v1/ft", Operation.FtStatus.class, map(), "VMs watched by the fault-tolerance executor"),
            get("/v1/jobs", Operation.ListJobRecords.class, list(Map.class), "Deployment records of the Slurm jobs with a VSE on this node"),
            post("/v1/jobs/{job}", Operation.PutJobRecord.class, map(), "Replace a job's deployment record and/or publish a note about it"),
            route("POST", "/v1/daemon/stop", Operation.StopDaemon.class, map(), 202, Body.JSON, "Stop the daemon (VMs keep running)"),
            route("POST", "/v1/enclaves", Operation.CreateEnclave.class, type(org.hpcvirt.enclave.EnclaveView.class), 201, Body.JSON,
                    "Create and start an enclave from an enclave file"),
            get("/v1/enclaves", Operation.ListEnclaves.class, list(org.hpcvirt.enclave.EnclaveView.class), "Every enclave of the node"),
            get("/v1/enclaves/{name}", Operation.ShowEnclave.class, type(org.hpcvirt.enclave.EnclaveView.class),
                    "An enclave's choices and placement"),
            route("DELETE", "/v1/enclaves/{name}", Operation.DestroyEnclave.class, type(Void.class), 204, Body.NONE,
                    "Destroy an enclave and its cgroup"),
            route("POST", "/v1/networks", Operation.CreateNetwork.class, type(org.hpcvirt.network.PrivateNetwork.class), 201, Body.JSON,
                    "Create a private network (bridge and VXLAN) on the node"),
            get("/v1/networks", Operation.ListNetworks.class, list(org.hpcvirt.network.PrivateNetwork.class),
                    "Every private network of the node"),
            route("DELETE", "/v1/networks/{name}", Operation.DeleteNetwork.class, map(), 200, Body.JSON,
                    "Remove a private network with its taps"),
            route("POST", "/v1/jobs/{job}/checkpoint", Operation.CheckpointJob.class, type(org.hpcvirt.slurm.CheckpointSet.class), 201,
                    Body.JSON, "Checkpoint every VM of a Slurm job on its nodes at one consistent point (a checkpoint set)"),
            get("/v1/jobs/{job}/checkpoint-sets", Operation.ListCheckpointSets.class, list(org.hpcvirt.slurm.CheckpointSet.class),
                    "A Slurm job's checkpoint sets, oldest first"),
            get("/v1/jobs/{job}/checkpoint-sets/restorable", Operation.RestorableCheckpointSet.class,
                    type(org.hpcvirt.slurm.CheckpointSet.Restorable.class), "A Slurm job's newest checkpoint set that verifies"),
            route("POST", "/v1/enclaves/{name}/checkpoint", Operation.CheckpointEnclave.class, list(CheckpointManifest.class), 201,
                    Body.JSON, "One consistent checkpoint of an enclave and the enclaves linked to it"));

    private static final Map<Class<? extends Operation>, Route> BY_OP = new LinkedHashMap<>();

    static {
        for (Route r : ROUTES) {
            if (BY_OP.put(r.op(), r) != null) {
                throw new IllegalStateException("two routes for " + r.op().getSimpleName());
            }
        }
    }

    /** Path of the server-sent event stream (not an operation: a subscription). */
    public static final String EVENT_STREAM = "/v1/events/stream";
    /** Path of the OpenAPI document. */
    public static final String OPENAPI = "/v1/openapi.json";

    private RouteTable() {
    }

    public static List<Route> all() {
        return ROUTES;
    }

    /** The route of an operation type; INTERNAL if it has none. */
    public static Route of(Class<? extends Operation> op) {
        Route r = BY_OP.get(op);
        if (r == null) {
            throw new HpcvirtException(ErrorCode.INTERNAL, "no route for " + op.getSimpleName());
        }
        return r;
    }

    /** A record component's value by name. */
    static Object component(Operation value, String name) {
        for (RecordComponent c : value.getClass().getRecordComponents()) {
            if (c.getName().equals(name)) {
                return org.hpcvirt.api.OperationFields.value(value, c);
            }
        }
        throw new HpcvirtException(ErrorCode.INTERNAL, value.getClass().getSimpleName() + " has no component " + name);
    }

    private static Route route(String method, String path, Class<? extends Operation> op, JavaType result, int status, Body body,
            String summary) {
        return new Route(method, path, op, result, status, body, summary);
    }

    private static Route get(String path, Class<? extends Operation> op, JavaType result, String summary) {
        return route("GET", path, op, result, 200, Body.JSON, summary);
    }

    private static Route post(String path, Class<? extends Operation> op, JavaType result, String summary) {
        return route("POST", path, op, result, 200, Body.JSON, summary);
    }

    private static JavaType type(Class<?> c) {
        return TYPES.constructType(c);
    }

    private static JavaType list(Class<?> c) {
        return TYPES.constructCollectionType(List.class, c);
    }

    private static JavaType map() {
        return TYPES.constructMapType(Map.class, String.class, Object.class);
    }
}
