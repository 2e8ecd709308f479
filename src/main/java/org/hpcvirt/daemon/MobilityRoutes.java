package org.hpcvirt.daemon;

import io.javalin.config.RoutesConfig;
import java.time.Duration;
import java.util.Map;
import org.hpcvirt.checkpoint.CheckpointManifest;
import org.hpcvirt.api.HpcvirtException;
import org.hpcvirt.vm.VmService;
import org.hpcvirt.vm.VmStatus;

/**
 * REST routes of checkpoint, restore and suspend/wake. Routes only translate: the logic lives in
 * {@link VmService} and {@link org.hpcvirt.checkpoint.CheckpointStore}.
 */
final class MobilityRoutes {
    private MobilityRoutes() {
    }

    /** POST /v1/vms/{name}/checkpoint. */
    record Checkpoint(Boolean live, String tag) {
    }

    /** POST /v1/checkpoints/{id}/restore and /v1/vms/{name}/wake ({@code node}: wake on that daemon's node). */
    record Restore(String name, Boolean waitForHeartbeat, Integer timeoutSeconds, String node) {
    }

    /** POST /v1/checkpoints/prune. */
    record Prune(String vm, Integer keep) {
    }

    static void register(RoutesConfig r, VmService vms, TcpListener tcp) {
        r.post("/v1/vms/{name}/checkpoint", ctx -> {
            Checkpoint req = Daemon.body(ctx, Checkpoint.class);
            ctx.status(201).json(vms.checkpoint(ctx.pathParam("name"), Boolean.TRUE.equals(req.live()), req.tag()));
        });
        r.post("/v1/vms/{name}/suspend", ctx -> ctx.json(vms.suspend(ctx.pathParam("name"))));
        r.post("/v1/vms/{name}/wake", ctx -> {
            Restore req = Daemon.body(ctx, Restore.class);
            String name = ctx.pathParam("name");
            boolean wait = !Boolean.FALSE.equals(req.waitForHeartbeat());
            Duration timeout = Duration.ofSeconds(Daemon.seconds(req.timeoutSeconds(), 60, "timeoutSeconds"));
            if (req.node() == null || req.node().isBlank()) {
                ctx.json(vms.wake(name, wait, timeout));
                return;
            }
            // wake on another node: it restores the suspend checkpoint from the shared store, then this node forgets the VM
            if (tcp == null) {
                throw HpcvirtException.invalid("this daemon has no cluster token: start it with --listen ADDR:PORT --token-file F"
                        + " to wake VMs on other nodes");
            }
            CheckpointManifest m = vms.suspendCheckpoint(name);
            vms.checkpoints().verify(m);
            VmStatus there;
            try (DaemonClient peer = DaemonClient.remote(req.node(), tcp.token())) {
                there = peer.restore(m.id(), name, wait, timeout);
            }
            vms.handOver(name, req.node());
            ctx.json(there);
        });
        r.get("/v1/vms/{name}/suspend-checkpoint", ctx -> ctx.json(vms.suspendCheckpoint(ctx.pathParam("name"))));
        r.post("/v1/vms/{name}/hand-over", ctx -> {
            vms.handOver(ctx.pathParam("name"), String.valueOf(ctx.queryParam("to")));
            ctx.status(204);
        });
        r.post("/v1/checkpoints/{id}/restore", ctx -> {
            Restore req = Daemon.body(ctx, Restore.class);
            ctx.json(vms.restore(ctx.pathParam("id"), req.name(), !Boolean.FALSE.equals(req.waitForHeartbeat()),
                    Duration.ofSeconds(Daemon.seconds(req.timeoutSeconds(), 60, "timeoutSeconds"))));
        });
        r.get("/v1/checkpoints", ctx -> ctx.json(vms.checkpoints().list(emptyToNull(ctx.queryParam("vm")))));
        r.get("/v1/checkpoints/{id}", ctx -> {
            CheckpointManifest m = vms.checkpoints().get(ctx.pathParam("id"));
            if ("true".equals(ctx.queryParam("verify"))) {
                vms.checkpoints().verify(m);
            }
            ctx.json(m);
        });
        r.delete("/v1/checkpoints/{id}", ctx -> ctx.json(Map.of("deleted", vms.checkpoints().delete(ctx.pathParam("id")))));
        r.post("/v1/checkpoints/prune", ctx -> {
            Prune req = Daemon.body(ctx, Prune.class);
            if (req.vm() == null || req.keep() == null) {
                throw org.hpcvirt.api.HpcvirtException.invalid("request body: fields 'vm' and 'keep' are required");
            }
            ctx.json(Map.of("deleted", vms.checkpoints().prune(req.vm(), req.keep())));
        });
    }

    private static String emptyToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
