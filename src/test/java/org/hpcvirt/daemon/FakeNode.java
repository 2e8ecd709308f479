package org.hpcvirt.daemon;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.hpcvirt.api.DirectoryTree;
import org.hpcvirt.api.NodeConfig;
import org.hpcvirt.api.Operation;
import org.hpcvirt.api.RequestContext;
import org.hpcvirt.api.VmEvent;
import org.hpcvirt.api.VmState;
import org.hpcvirt.backend.BackendRegistry;
import org.hpcvirt.backend.FakeBackend;
import org.hpcvirt.guest.FakeAgent;
import org.hpcvirt.vm.NodeLayout;
import org.hpcvirt.vm.VmStatus;

/**
 * Test support: a node composed as the daemon composes it ({@link NodeServices}) in a temporary
 * home, with the in-memory {@link FakeBackend} (every capability), a stand-in image, and scripted
 * guest agents. No QEMU. Not thread-safe; the test closes it (agents, node, home).
 */
final class FakeNode implements AutoCloseable {
    final Path home;
    final NodeLayout layout;
    final FakeBackend backend = FakeBackend.full("fake");
    private NodeServices node;
    private final List<FakeAgent> agents = new ArrayList<>();

    FakeNode(String prefix) throws IOException {
        home = Files.createTempDirectory(Path.of("/tmp"), prefix);
        layout = new NodeLayout(home).ensure();
        Path image = layout.images().resolve("default");
        Files.createDirectories(image);
        Files.writeString(image.resolve("manifest.json"), "{\"format\":1,\"name\":\"default\",\"kernelVersion\":\"6.1\","
                + "\"builderVersion\":\"2\",\"agentSourceSha256\":\"0\",\"inputs\":{},\"files\":{}}");
        node = newServices();
    }

    private NodeServices newServices() {
        Properties p = new Properties();
        p.setProperty("user.home", home.toString());
        return new NodeServices(layout, new BackendRegistry(List.of(backend)), NodeConfig.from(Map.of("HPCVIRT_NODE", "t1"), p), null,
                () -> { });
    }

    NodeServices node() {
        return node;
    }

    /** A daemon restart: the node's services close (VMs keep running), then {@code beforeStart} runs, then new ones start. */
    NodeServices restart(Runnable beforeStart) {
        node.close();
        beforeStart.run();
        node = newServices();
        return node;
    }

    Object run(Operation op) {
        return node.dispatcher().execute(op, RequestContext.INTERNAL);
    }

    VmState state(String vm) {
        return ((VmStatus) run(new Operation.Status(vm))).state();
    }

    List<VmEvent> events(String vm) {
        return node.events().history(vm, 0, 10_000);
    }

    /** A scripted agent on the guest channel socket VM {@code vm}'s instances report; closed with the node. */
    FakeAgent agent(String vm) throws IOException {
        FakeAgent agent = FakeAgent.listen(layout.runDir(vm).resolve("agent.sock"));
        agents.add(agent);
        return agent;
    }

    /** Defines {@code vm} from {@code profile} (a format with one %s for the name), starts it, sends a first heartbeat: RUNNING. */
    FakeAgent running(String vm, String profile) throws IOException {
        run(new Operation.Define(String.format(profile, vm), "test", null));
        FakeAgent agent = agent(vm);
        run(new Operation.Start(vm, false, null));
        await().atMost(Duration.ofSeconds(10)).until(agent::connected);
        agent.beat();
        await().atMost(Duration.ofSeconds(10)).until(() -> state(vm) == VmState.RUNNING);
        return agent;
    }

    @Override
    public void close() throws IOException {
        for (FakeAgent a : agents) {
            a.close();
        }
        node.close();
        DirectoryTree.deleteQuietly(home);
    }
}
