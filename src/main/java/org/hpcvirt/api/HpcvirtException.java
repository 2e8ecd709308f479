package org.hpcvirt.api;

/**
 * The one unchecked base exception of hpcvirt. Its message is short and says what went wrong
 * and where; the cause chain holds the details. Capabilities subclass it when callers need to
 * tell errors apart by type, otherwise the {@link ErrorCode} is enough.
 */
public class HpcvirtException extends RuntimeException {
    private final ErrorCode code;
    private final transient java.util.Map<String, Object> details;

    public HpcvirtException(ErrorCode code, String message) {
        super(message);
        this.code = code;
        this.details = java.util.Map.of();
    }

    /**
     * An error with machine-readable details that must survive the trip through REST to the CLI
     * (e.g. rebuilt by a client from a daemon's answer).
     */
    public HpcvirtException(ErrorCode code, String message, java.util.Map<String, Object> details) {
        super(message);
        this.code = code;
        this.details = details == null ? java.util.Map.of() : java.util.Map.copyOf(details);
    }

    public HpcvirtException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
        this.details = java.util.Map.of();
    }

    public ErrorCode code() {
        return code;
    }

    /**
     * Machine-readable facts about the error (a profile's problem list, QMP's error class), never
     * null; empty for most errors. Subclasses override it; the REST layer sends the details of the
     * first exception in the cause chain that has any.
     */
    public java.util.Map<String, Object> details() {
        return details;
    }

    /** The details of the first exception in {@code t}'s cause chain that has any; empty if none. */
    public static java.util.Map<String, Object> detailsOf(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof HpcvirtException h && !h.details().isEmpty()) {
                return h.details();
            }
        }
        return java.util.Map.of();
    }

    public static HpcvirtException notFound(String what) {
        return new HpcvirtException(ErrorCode.NOT_FOUND, what + " not found");
    }

    public static HpcvirtException invalid(String message) {
        return new HpcvirtException(ErrorCode.INVALID_INPUT, message);
    }

    /** The message followed by every distinct cause message, ": "-separated, for printing at the top level. */
    public static String chain(Throwable t) {
        StringBuilder sb = new StringBuilder(String.valueOf(t.getMessage()));
        String last = t.getMessage();
        for (Throwable c = t.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            String m = c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
            if (last == null || !last.contains(m)) {
                sb.append(": ").append(m);
            }
            last = m;
        }
        return sb.toString();
    }
}
