package org.hpcvirt.api;

/**
 * Who asked for an operation and how it arrived, as the transport saw it. Immutable.
 *
 * @param transport    how the request arrived: {@code unix} (the node socket), {@code tcp} (another
 *                     node or a tool with a token), {@code internal} (this daemon's own executors)
 * @param localAddress the address the request arrived at (for TCP: the address other nodes reach
 *                     this one at), or null when unknown
 * @param caller       who asks, as authenticated by the transport
 */
public record RequestContext(String transport, String localAddress, Caller caller) {
    /** An operation started by the daemon itself (fault-tolerance executor, recovery). */
    public static final RequestContext INTERNAL = new RequestContext("internal", null, Caller.DAEMON);

    public RequestContext {
        if (caller == null) {
            throw new IllegalArgumentException("a request needs a caller");
        }
    }
}
