package org.hpcvirt.api;

/**
 * Who asked for an operation and how it arrived, as the transport saw it. Immutable.
 *
 * @param transport    how the request arrived: {@code unix} (the node socket), {@code tcp} (another
 *                     node, token checked), {@code internal} (this daemon's own executors)
 * @param localAddress the address the request arrived at (for TCP: the address other nodes reach
 *                     this one at), or null when unknown
 */
public record RequestContext(String transport, String localAddress) {
    /** An operation started by the daemon itself (fault-tolerance executor, recovery). */
    public static final RequestContext INTERNAL = new RequestContext("internal", null);
}
