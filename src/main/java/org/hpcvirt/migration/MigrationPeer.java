package org.hpcvirt.migration;

import java.time.Duration;
import java.nio.file.Path;
import org.hpcvirt.profile.VmProfile;
import org.hpcvirt.vm.VmStatus;

/**
 * The destination node of a live migration as the source's {@link MigrationSource#migrate} sees it: the
 * steps the source asks of the destination daemon, in this order: {@link #prepareIncoming},
 * (stream), {@link #resumeIncoming}, {@link #awaitRunning}; {@link #abortIncoming} on failure.
 * Implemented by {@link OperationPeer}, which sends each step as a destination operation to the other daemon. Calls block; not required to be
 * thread-safe (one migration uses one peer). The caller closes it.
 */
public interface MigrationPeer extends AutoCloseable {
    /** Where the destination is (its URL), for events and messages. */
    String describe();

    /**
     * Starts on the destination a QEMU with the same virtual hardware as {@code profile}, opening
     * {@code disk} (the VM's current top layer in the shared store), vCPUs stopped, listening for
     * the incoming state over {@code channels} parallel connections. The VM is defined there and
     * STARTING; if {@link #resumeIncoming} has not come within {@code giveUpAfter}, the destination
     * kills its waiting QEMU and forgets the VM. {@code fromNode} names the source for the
     * destination's events (an implementation may name it itself); {@code owner} is the user the
     * VM belongs to, and keeps belonging to there.
     *
     * @return where the source must send its state
     */
    IncomingMigration prepareIncoming(VmProfile profile, String owner, Path disk, String fromNode, int channels, Duration giveUpAfter);

    /**
     * Waits until the destination has loaded the whole state, then starts its vCPUs.
     *
     * @return milliseconds the destination waited for the end of the stream before resuming
     */
    long resumeIncoming(String vm, Duration timeout);

    /** Waits until the destination VM is RUNNING (first heartbeat there); fails otherwise. */
    VmStatus awaitRunning(String vm, Duration timeout);

    /**
     * Kills the destination's QEMU for {@code vm} and forgets the VM there.
     *
     * @return true only if the destination confirmed that its QEMU is gone
     */
    boolean abortIncoming(String vm);

    @Override
    void close();

    /**
     * A destination waiting for the incoming state.
     *
     * @param vm  the VM's name there
     * @param uri QEMU migration URI to send to ({@code tcp:ADDR:PORT})
     * @param pid the destination QEMU's pid
     */
    record IncomingMigration(String vm, String uri, long pid) {
    }
}
