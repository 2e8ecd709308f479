package org.hpcvirt.api;

/**
 * Every error hpcvirt reports carries one of these codes. The HTTP status (daemon) and the CLI
 * exit code are decided here and nowhere else.
 */
public enum ErrorCode {
    /** Input (profile, campaign file, argument, request body) is malformed or out of range. */
    INVALID_INPUT(400, 2),
    /** The named VM, image, checkpoint or node does not exist. */
    NOT_FOUND(404, 3),
    /** The object exists already (define of a known name). */
    ALREADY_EXISTS(409, 4),
    /** The request is not allowed in the object's current state. */
    WRONG_STATE(409, 5),
    /** The chosen backend cannot run on this host; the message names the reason. */
    BACKEND_UNAVAILABLE(503, 6),
    /** QEMU, the guest or a peer failed while doing what was asked. */
    OPERATION_FAILED(500, 7),
    /** An operation did not complete within its deadline. */
    TIMEOUT(504, 8),
    /** The daemon cannot be reached or answered nonsense. */
    DAEMON_UNAVAILABLE(503, 9),
    /** Refused on purpose because it would harm the host (e.g. a fault aimed at the host kernel). */
    REFUSED(403, 10),
    /** Authentication to a daemon failed. */
    UNAUTHORIZED(401, 11),
    /** The caller is known but may not do this: another user's VM, a scope too narrow, an admin-only operation. */
    FORBIDDEN(403, 12),
    /** A bug: something that should not happen. */
    INTERNAL(500, 70);

    private final int httpStatus;
    private final int exitCode;

    ErrorCode(int httpStatus, int exitCode) {
        this.httpStatus = httpStatus;
        this.exitCode = exitCode;
    }

    public int httpStatus() {
        return httpStatus;
    }

    public int exitCode() {
        return exitCode;
    }

    /** The code whose HTTP status is {@code status}, used by clients to rebuild a daemon error; INTERNAL if unknown. */
    public static ErrorCode fromName(String name) {
        for (ErrorCode c : values()) {
            if (c.name().equals(name)) {
                return c;
            }
        }
        return INTERNAL;
    }
}
