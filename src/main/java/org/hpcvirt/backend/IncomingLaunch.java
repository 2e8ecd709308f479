package org.hpcvirt.backend;

/**
 * Backend capability: start an instance that waits, paused, for an incoming live migration
 * ({@link Migratable#acceptIncoming}). Looked up with
 * {@code backend.capability(IncomingLaunch.class)}; a backend without it cannot be the destination
 * of a migration. Thread-safe like its backend.
 */
public interface IncomingLaunch {
    /**
     * Starts the same device model as {@link Backend#launch} would for {@code spec} (its
     * {@code incoming} and {@code startPaused} fields are ignored), with vCPUs stopped, waiting for
     * incoming state: its {@link Instance#runState()} is {@link RunState#INCOMING}. The caller owns
     * the instance as with {@link Backend#launch}.
     */
    Instance launchIncoming(LaunchSpec spec);
}
