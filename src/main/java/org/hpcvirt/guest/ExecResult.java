package org.hpcvirt.guest;

/**
 * The outcome of a command run in the guest by {@link GuestChannel#exec}.
 *
 * @param exitCode  exit status, or 128+signal; 137 when the agent killed it at its timeout
 * @param output    combined stdout and stderr (UTF-8, invalid bytes replaced), at most 48 KiB
 * @param truncated whether the output was longer and cut
 * @param elapsedMs run time measured in the guest
 */
public record ExecResult(int exitCode, String output, boolean truncated, long elapsedMs) {
}
