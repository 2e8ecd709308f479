package org.hpcvirt.api;

/**
 * The one unchecked base exception of hpcvirt. Its message is short and says what went wrong
 * and where; the cause chain holds the details. Capabilities subclass it when callers need to
 * tell errors apart by type, otherwise the {@link ErrorCode} is enough.
 */
public class HpcvirtException extends RuntimeException {
    private final ErrorCode code;

    public HpcvirtException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public HpcvirtException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
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
