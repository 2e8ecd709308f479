package org.hpcvirt.migration;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.hpcvirt.api.Operation;
import org.hpcvirt.api.OperationClient;
import org.hpcvirt.profile.ProfileLoader;
import org.hpcvirt.profile.VmProfile;
import org.hpcvirt.vm.VmStatus;

/**
 * The destination of a migration reached through an {@link OperationClient} (the destination
 * daemon's API): each {@link MigrationPeer} step is one destination operation. Not thread-safe
 * (one migration uses one peer); closes its client.
 */
public final class OperationPeer implements MigrationPeer {
    private final OperationClient client;
    private final String from;

    /** @param from this node as the destination should name it in its events */
    public OperationPeer(OperationClient client, String from) {
        this.client = client;
        this.from = from;
    }

    @Override
    public String describe() {
        return client.endpoint();
    }

    @Override
    public IncomingMigration prepareIncoming(VmProfile profile, String owner, Path disk, String fromNode, int channels, Duration giveUpAfter) {
        return client.execute(new Operation.PrepareIncoming(ProfileLoader.toYaml(profile), disk == null ? null : disk.toString(),
                from, channels, seconds(giveUpAfter), owner), IncomingMigration.class);
    }

    @Override
    public long resumeIncoming(String vm, Duration timeout) {
        Map<?, ?> r = client.execute(new Operation.ResumeIncoming(vm, seconds(timeout)), Map.class);
        return r.get("waitedMs") instanceof Number n ? n.longValue() : -1;
    }

    @Override
    public VmStatus awaitRunning(String vm, Duration timeout) {
        return client.execute(new Operation.AwaitIncoming(vm, seconds(timeout)), VmStatus.class);
    }

    @Override
    public boolean abortIncoming(String vm) {
        Map<?, ?> r = client.execute(new Operation.AbortIncoming(vm), Map.class);
        return Boolean.TRUE.equals(r.get("qemuGone"));
    }

    private static int seconds(Duration d) {
        return (int) Math.max(1, Math.min(Operation.MAX_WAIT_SECONDS, d.toSeconds()));
    }

    @Override
    public void close() {
        client.close();
    }
}
