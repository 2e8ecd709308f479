package org.hpcvirt.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import org.hpcvirt.profile.VmProfile;
import org.hpcvirt.vm.MigrationPeer;
import org.hpcvirt.vm.VmStatus;

/**
 * The destination of a migration reached over TCP: each {@link MigrationPeer} step is one call to
 * the destination daemon's {@code /v1/migrations/incoming} routes with the cluster token. Closes
 * its client.
 */
final class RemotePeer implements MigrationPeer {
    private final String url;
    private final String from;
    private final DaemonClient client;

    RemotePeer(String url, String token, String from) {
        this.url = url;
        this.from = from;
        this.client = DaemonClient.remote(url, token);
    }

    @Override
    public String describe() {
        return url;
    }

    @Override
    public IncomingMigration prepareIncoming(VmProfile profile, Path disk, String fromNode, int channels) {
        return client.prepareIncoming(profile, disk, from, channels);
    }

    @Override
    public long resumeIncoming(String vm, Duration timeout) {
        JsonNode n = client.resumeIncoming(vm, timeout);
        return n.path("waitedMs").asLong();
    }

    @Override
    public VmStatus awaitRunning(String vm, Duration timeout) {
        return client.awaitIncomingRunning(vm, timeout);
    }

    @Override
    public boolean abortIncoming(String vm) {
        return client.abortIncoming(vm);
    }

    @Override
    public void close() {
        client.close();
    }
}
